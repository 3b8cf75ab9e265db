"""Who is asking: the client's address, read the same way by throttles and login limits."""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or behind TRUSTED_PROXIES proxies the X-Forwarded-For entry that many hops
    from the right: the entries to its left are whatever the client chose to send."""
    proxies: int = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded: str = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        return hops[-min(proxies, len(hops))]
    address: str = request.META.get("REMOTE_ADDR", "")
    return address
