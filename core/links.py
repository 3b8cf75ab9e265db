"""Absolute links for e-mails and webhooks: the site's public address plus a path or a URL name."""

from django.conf import settings
from django.urls import reverse


def absolute_url(path_or_name: str, *args: object) -> str:
    """``absolute_url("/campaigns/x/")`` or ``absolute_url("unsubscribe", token)`` (a URL name and its args)."""
    path = path_or_name if path_or_name.startswith("/") else reverse(path_or_name, args=args)
    site: str = settings.SITE_URL
    return site.rstrip("/") + path
