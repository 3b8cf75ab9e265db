"""Payment gateway: a small interface (``base``) with Stripe behind it.

``get_gateway()`` builds the process-wide gateway from settings
(``STRIPE_SECRET_KEY``, ``STRIPE_WEBHOOK_SECRET``, ``STRIPE_API_BASE``: empty
means api.stripe.com, localstripe's URL in development and tests). It is cached,
and the cache is dropped when a test overrides a ``STRIPE_*`` setting.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from .base import (
    CardDeclined,
    ChargeResult,
    InvalidWebhook,
    PaymentError,
    PaymentGateway,
    ProviderPayment,
    ProviderUnavailable,
    RateLimited,
    RefundResult,
    RefundTotal,
    SetupResult,
)
from .stripe_gateway import StripeGateway

__all__ = [
    "CardDeclined",
    "ChargeResult",
    "InvalidWebhook",
    "PaymentError",
    "PaymentGateway",
    "ProviderPayment",
    "ProviderUnavailable",
    "RateLimited",
    "RefundResult",
    "RefundTotal",
    "SetupResult",
    "StripeGateway",
    "get_gateway",
]


@functools.cache
def get_gateway() -> PaymentGateway:
    return StripeGateway(
        secret_key=settings.STRIPE_SECRET_KEY,
        webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
        api_base=getattr(settings, "STRIPE_API_BASE", "") or "",
        timeout=settings.STRIPE_TIMEOUT,
    )


@receiver(setting_changed)
def _forget_gateway(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("STRIPE_"):
        get_gateway.cache_clear()
