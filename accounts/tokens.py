"""API tokens: random, shown once, stored hashed, expiring (API_TOKEN_TTL)."""

import hashlib
import secrets
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from accounts.models import ApiToken


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_issue(*, user: AbstractBaseUser, now: datetime | None = None) -> str:
    """A new token for the user; the only moment its raw value exists."""
    now = now or timezone.now()
    raw = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user, key_hash=token_hash(raw), prefix=raw[:8], expires_at=now + settings.API_TOKEN_TTL
    )
    return raw


def tokens_issue_many(*, users, now: datetime | None = None) -> list[str]:
    """New tokens for many users at once (simulations, benchmarks), in the users' order."""
    now = now or timezone.now()
    raws = [secrets.token_urlsafe(32) for _ in users]
    ApiToken.objects.bulk_create(
        (
            ApiToken(user=user, key_hash=token_hash(raw), prefix=raw[:8], expires_at=now + settings.API_TOKEN_TTL)
            for user, raw in zip(users, raws, strict=True)
        ),
        batch_size=2000,
    )
    return raws


def token_user(raw: str, *, now: datetime | None = None) -> AbstractBaseUser | None:
    """The active user a raw token belongs to, if it exists and has not expired."""
    now = now or timezone.now()
    token = ApiToken.objects.select_related("user").filter(key_hash=token_hash(raw), expires_at__gt=now).first()
    if token is None or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > settings.API_TOKEN_TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def tokens_forget_expired(*, now: datetime | None = None) -> int:
    deleted, _ = ApiToken.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
