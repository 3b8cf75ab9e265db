"""The payment provider for tests: test cards, what the browser does, what the provider holds.

Against localstripe (STRIPE_API_BASE of the test profile). The cards and the PaymentMethod a
card number becomes are the demo's (demo/cards.py): one definition for both.
"""

from __future__ import annotations

from typing import Any

import requests

from demo.cards import (
    CARD_DECLINES_AT_SETUP,
    CARD_DECLINES_ON_CHARGE,
    CARD_REQUIRES_3DS,
    CARD_SUCCEEDS,
    card_payment_method,
    stripe_client,
)
from pledges.payments import SetupResult
from pledges.payments.stripe_gateway import _setup_result

__all__ = [
    "CARD_DECLINES_AT_SETUP",
    "CARD_DECLINES_ON_CHARGE",
    "CARD_REQUIRES_3DS",
    "CARD_SUCCEEDS",
    "card_payment_method",
    "complete_test_3ds_setup",
    "flush_localstripe",
    "forget_localstripe_snapshot",
    "payment_intents_of",
    "restore_localstripe",
    "snapshot_localstripe",
    "succeeded_payment_intents",
    "succeeded_payment_intents_by_pledge",
]


def complete_test_3ds_setup(
    gateway_or_client: Any, setup_intent_id: str, *, succeed: bool = True, payment_method_id: str | None = None
) -> SetupResult:
    """What localstripe's Stripe.js shim does in the browser: confirm the SetupIntent
    (with the card the backer typed, or after they passed 3-D Secure), or cancel it."""
    setup_intents = stripe_client(gateway_or_client).v1.setup_intents
    if not succeed:
        return _setup_result(setup_intents.cancel(setup_intent_id))
    params = {"payment_method": payment_method_id} if payment_method_id else None
    return _setup_result(setup_intents.confirm(setup_intent_id, params))


def payment_intents_of(gateway: Any, customer_id: str) -> list[dict[str, Any]]:
    """Every PaymentIntent the provider holds for a customer, as plain dicts (for assertions)."""
    return list(gateway._payment_intents_of(customer_id))


def succeeded_payment_intents(gateway: Any, customer_id: str, pledge_id: int) -> list[dict[str, Any]]:
    return [
        intent
        for intent in payment_intents_of(gateway, customer_id)
        if intent.get("status") == "succeeded" and (intent.get("metadata") or {}).get("pledge_id") == str(pledge_id)
    ]


def succeeded_payment_intents_by_pledge(gateway: Any) -> dict[tuple[str, str], int]:
    """(customer id, pledge id) -> how many succeeded PaymentIntents the provider holds, in one listing."""
    counts: dict[tuple[str, str], int] = {}
    for intent in stripe_client(gateway).v1.payment_intents.list(params={"limit": 100}).auto_paging_iter():
        data = intent.to_dict()
        pledge_id = (data.get("metadata") or {}).get("pledge_id")
        if data.get("status") == "succeeded" and pledge_id:
            customer = data.get("customer")
            customer = customer.get("id") if isinstance(customer, dict) else customer
            counts[(customer, pledge_id)] = counts.get((customer, pledge_id), 0) + 1
    return counts


def flush_localstripe(gateway: Any) -> None:
    """Empty localstripe's store. Its responses embed lists built by scanning the whole store,
    so every call slows as the store grows (70 ms per charge after a suite run, 6 ms fresh)."""
    _local_only(gateway)
    requests.delete(f"{gateway.api_base}/_config/data", timeout=10).raise_for_status()


def snapshot_localstripe(gateway: Any) -> None:
    """Keep localstripe's store as it is now (devstack/localstripe_snapshot.py)..."""
    _local_only(gateway)
    requests.post(f"{gateway.api_base}/_config/snapshot", timeout=10).raise_for_status()


def restore_localstripe(gateway: Any) -> bool:
    """... and put it back so: what tests made at the provider since is gone. False if no
    snapshot is kept."""
    _local_only(gateway)
    response = requests.post(f"{gateway.api_base}/_config/snapshot/restore", timeout=10)
    if response.status_code == 409:
        return False
    response.raise_for_status()
    return True


def forget_localstripe_snapshot(gateway: Any) -> None:
    _local_only(gateway)
    requests.delete(f"{gateway.api_base}/_config/snapshot", timeout=10).raise_for_status()


def _local_only(gateway: Any) -> None:
    if gateway.is_real_stripe:
        raise RuntimeError("refusing to reset a real Stripe account")
