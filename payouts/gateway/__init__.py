"""The Connect gateway: a small interface (``base``) with Stripe behind it (``stripe_connect``).

``get_connect_gateway()`` builds it from the payment settings (``STRIPE_SECRET_KEY``,
``STRIPE_API_BASE``, ``STRIPE_TIMEOUT``), one per configuration, as ``pledges.payments`` does.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from django.conf import settings

from .base import AccountState, ChargeFee, ConnectGateway, ReversalResult, TransferResult

if TYPE_CHECKING:
    from .stripe_connect import StripeConnectGateway

__all__ = [
    "AccountState",
    "ChargeFee",
    "ConnectGateway",
    "ReversalResult",
    "TransferResult",
    "get_connect_gateway",
]


def get_connect_gateway() -> ConnectGateway:
    return _gateway(
        secret_key=settings.STRIPE_SECRET_KEY,
        api_base=getattr(settings, "STRIPE_API_BASE", "") or "",
        timeout=settings.STRIPE_TIMEOUT,
    )


@functools.lru_cache(maxsize=8)
def _gateway(*, secret_key: str, api_base: str, timeout: float) -> StripeConnectGateway:
    from .stripe_connect import StripeConnectGateway  # on first use, as pledges.payments does

    return StripeConnectGateway(secret_key=secret_key, api_base=api_base, timeout=timeout)
