"""The provider's test cards, and a PaymentMethod made from one as Stripe.js would make it.

Only localstripe (``STRIPE_API_BASE``) and Stripe's test mode know these numbers, and only
localstripe takes a raw card number from a server; real Stripe (test mode) refuses raw
numbers by default, so there use its aliases (``pm_card_visa``, ``pm_card_chargeCustomerFail``).
The demo's backers and ``make simulate`` save their cards with them; the test suite uses
them through tests/support/payments.py.
"""

from __future__ import annotations

import datetime

import stripe

from pledges.payments.stripe_gateway import StripeGateway

CARD_SUCCEEDS = "4242424242424242"
CARD_DECLINES_ON_CHARGE = "4000000000000341"  # saved fine, every charge declined
CARD_DECLINES_AT_SETUP = "4000000000000002"
CARD_REQUIRES_3DS = "4000002500003155"  # SetupIntent and PaymentIntent: requires_action


def stripe_client(gateway_or_client: StripeGateway | stripe.StripeClient) -> stripe.StripeClient:
    if isinstance(gateway_or_client, stripe.StripeClient):
        return gateway_or_client
    return gateway_or_client.client


def card_payment_method(gateway_or_client: StripeGateway | stripe.StripeClient, card_number: str) -> str:
    """A card PaymentMethod as Stripe.js would create it in the browser; its id."""
    pm = stripe_client(gateway_or_client).v1.payment_methods.create(
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
