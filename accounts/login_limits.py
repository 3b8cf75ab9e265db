"""Failed-login limits, per account and per client address, counted in the shared cache (Redis).

Password guessing is slowed on two axes: one account tried from many addresses, and
one address trying many accounts. Only failures count; a successful login clears the
account's count. Each counter expires LOGIN_FAILURE_WINDOW seconds after its first
failure, so a locked account opens again by itself.
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

PREFIX = "login-failures"


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"{PREFIX}:{kind}:{digest}"


@dataclass(frozen=True)
class LoginBlocked:
    reason: str  # "account" | "client"
    retry_after: int  # seconds, at most: the window may have started earlier


def login_blocked(*, account: str, client: str) -> LoginBlocked | None:
    """Whether another attempt for this account (username or e-mail) from this client is refused."""
    checks = (
        ("account", _key("account", account), settings.LOGIN_FAILURES_PER_ACCOUNT),
        ("client", _key("client", client), settings.LOGIN_FAILURES_PER_CLIENT),
    )
    for reason, key, limit in checks:
        if (cache.get(key) or 0) >= limit:
            return LoginBlocked(reason=reason, retry_after=settings.LOGIN_FAILURE_WINDOW)
    return None


def login_failed(*, account: str, client: str) -> None:
    for key in (_key("account", account), _key("client", client)):
        # add() starts the window only at the first failure; incr() never moves it.
        cache.add(key, 0, timeout=settings.LOGIN_FAILURE_WINDOW)
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW)


def login_succeeded(*, account: str) -> None:
    cache.delete(_key("account", account))
