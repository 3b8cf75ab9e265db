"""Helpers for tests and the demo, against localstripe (not for production code).

localstripe accepts raw test card numbers; real Stripe (test mode) refuses them by
default, so there use its aliases (``pm_card_visa``, ``pm_card_chargeCustomerFail``).
"""

from __future__ import annotations

import datetime
from typing import Any

import requests
import stripe

from .base import SetupResult
from .stripe_gateway import _setup_result

CARD_SUCCEEDS = "4242424242424242"
CARD_DECLINES_ON_CHARGE = "4000000000000341"  # saved fine, every charge declined
CARD_DECLINES_AT_SETUP = "4000000000000002"
CARD_REQUIRES_3DS = "4000002500003155"  # SetupIntent and PaymentIntent: requires_action


def _client(gateway_or_client: Any) -> stripe.StripeClient:
    if isinstance(gateway_or_client, stripe.StripeClient):
        return gateway_or_client
    return gateway_or_client.client  # a StripeGateway


def create_test_payment_method(gateway_or_client: Any, card_number: str) -> str:
    """A card PaymentMethod as Stripe.js would create it in the browser; its id."""
    pm = _client(gateway_or_client).v1.payment_methods.create(
        params={
            "type": "card",
            "card": {
                "number": card_number,
                "exp_month": 12,
                "exp_year": datetime.date.today().year + 3,
                "cvc": "123",
            },
        }
    )
    return pm.id


def complete_test_3ds_setup(
    gateway_or_client: Any, setup_intent_id: str, *, succeed: bool = True, payment_method_id: str | None = None
) -> SetupResult:
    """What localstripe's Stripe.js shim does in the browser: confirm the SetupIntent
    (with the card the backer typed, or after they passed 3-D Secure), or cancel it."""
    setup_intents = _client(gateway_or_client).v1.setup_intents
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
    for intent in _client(gateway).v1.payment_intents.list(params={"limit": 100}).auto_paging_iter():
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
    if gateway.is_real_stripe:
        raise RuntimeError("refusing to flush a real Stripe account")
    requests.delete(f"{gateway.api_base}/_config/data", timeout=10).raise_for_status()
