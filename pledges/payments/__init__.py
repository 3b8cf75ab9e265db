"""Payment gateway: a small interface (``base``) with Stripe behind it.

``get_gateway()`` builds the process-wide gateway from settings
(``STRIPE_SECRET_KEY``, ``STRIPE_WEBHOOK_SECRET``, ``STRIPE_API_BASE``: empty
means api.stripe.com, localstripe's URL in development and tests). The settings are
read at each call and one gateway is kept per configuration, so a process reuses its
gateway (and its HTTP connections) and a changed setting takes effect at once.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from django.conf import settings

from .base import (
    STANDING_REFUND,
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

if TYPE_CHECKING:
    from .stripe_gateway import StripeGateway

__all__ = [
    "PROVIDER_TASK_RETRIES",
    "STANDING_REFUND",
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
    "get_gateway",
]

# The Celery options of every task that calls the provider (collection, payouts, fee look-ups):
# redelivered if the worker dies (acks_late), retried with jittered backoff while the provider is
# down or its budget has no slot; the services make each retry safe (record first, then call).
PROVIDER_TASK_RETRIES = {
    "acks_late": True,
    "autoretry_for": (ProviderUnavailable, TimeoutError),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 12,
}


def get_gateway() -> PaymentGateway:
    return _gateway(
        secret_key=settings.STRIPE_SECRET_KEY,
        webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
        api_base=getattr(settings, "STRIPE_API_BASE", "") or "",
        timeout=settings.STRIPE_TIMEOUT,
    )


@functools.lru_cache(maxsize=8)
def _gateway(*, secret_key: str, webhook_secret: str, api_base: str, timeout: float) -> StripeGateway:
    # Imported on first use: the SDK (with aiohttp, which it loads where installed) cost a process
    # 0.15 s of CPU at start, and many never call the provider (mail workers, beat, commands).
    from .stripe_gateway import StripeGateway

    return StripeGateway(secret_key=secret_key, webhook_secret=webhook_secret, api_base=api_base, timeout=timeout)
