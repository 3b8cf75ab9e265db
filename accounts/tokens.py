"""API tokens: random, shown once, stored hashed, expiring (API_TOKEN_TTL), revocable.

A token carries a fingerprint of its holder's password hash from when it was issued: once the
password changes (a reset, the settings page, the admin, ``manage.py changepassword``) the
fingerprint no longer matches and the token is refused, like Django's own sessions. The
services that change a password also delete the user's tokens outright.
"""

import hashlib
import secrets
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import ApiToken

FINGERPRINT_SALT = "pledgeboard.accounts.tokens.password"


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def password_fingerprint(user: User, *, secret: str | None = None) -> str:
    return salted_hmac(FINGERPRINT_SALT, user.password, secret=secret, algorithm="sha256").hexdigest()


def _fingerprint_matches(token: ApiToken) -> bool:
    """As Django checks a session's auth hash: the current secret, then SECRET_KEY_FALLBACKS."""
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        if constant_time_compare(token.password_fingerprint, password_fingerprint(token.user, secret=secret)):
            return True
    return False


def _new_token(user: User, now: datetime) -> tuple[ApiToken, str]:
    raw = secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        key_hash=token_hash(raw),
        prefix=raw[:8],
        password_fingerprint=password_fingerprint(user),
        expires_at=now + settings.API_TOKEN_TTL,
    )
    return token, raw


def token_issue(*, user: User, now: datetime | None = None) -> str:
    """A new token for the user; the only moment its raw value exists."""
    token, raw = _new_token(user, now or timezone.now())
    token.save()
    return raw


def tokens_issue_many(*, users, now: datetime | None = None) -> list[str]:
    """New tokens for many users at once (simulations, benchmarks), in the users' order."""
    now = now or timezone.now()
    made = [_new_token(user, now) for user in users]
    ApiToken.objects.bulk_create((token for token, _raw in made), batch_size=2000)
    return [raw for _token, raw in made]


def token_lookup(raw: str, *, now: datetime | None = None) -> ApiToken | None:
    """The token (its user loaded) if it exists, has not expired, its user is active and its
    password unchanged since it was issued; its last use is written down every few minutes."""
    now = now or timezone.now()
    token = ApiToken.objects.select_related("user").filter(key_hash=token_hash(raw), expires_at__gt=now).first()
    if token is None or not token.user.is_active or not _fingerprint_matches(token):
        return None
    if token.last_used_at is None or now - token.last_used_at > settings.API_TOKEN_TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def token_user(raw: str, *, now: datetime | None = None) -> User | None:
    """The active user a raw token belongs to (see token_lookup)."""
    token = token_lookup(raw, now=now)
    return None if token is None else token.user


def tokens_of(*, user: User, now: datetime | None = None) -> QuerySet[ApiToken]:
    """The user's tokens that still work, newest first."""
    return ApiToken.objects.filter(user=user, expires_at__gt=now or timezone.now()).order_by("-created_at", "-pk")


def token_revoke(*, user: User, token_id: int) -> bool:
    """Delete one of the user's tokens; False if they have none with that id."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return bool(deleted)


def tokens_revoke_all(*, user: User) -> int:
    """Delete every token of the user (a new password, a deleted account, "sign out everywhere")."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


def tokens_forget_expired(*, now: datetime | None = None) -> int:
    deleted, _ = ApiToken.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
