"""Provider calls per pledge, counted where Stripe would count them: at the emulator, by operation.

What the server sends only: the card the backer types becomes a PaymentMethod (API) or is
confirmed (web) by Stripe.js in the browser, counted apart. A new backer costs a Customer and a
SetupIntent; a returning one reuses their Customer. Through the API a card is saved in the call
that creates the SetupIntent (``confirm=true``); on the web the browser confirms it and the
server must ask the provider whether it did (the browser's word is not proof).
"""

import re
from decimal import Decimal

import pytest
import requests
from django.conf import settings
from django.test import Client

from tests import factories
from tests.conftest import client_for
from tests.support.payments import complete_test_3ds_setup

pytestmark = pytest.mark.django_db


class ProviderCalls:
    """The emulator's count of calls answered, by operation; ``since()`` what was sent since the
    last look."""

    def __init__(self):
        self.url = f"{settings.STRIPE_API_BASE.rstrip('/')}/_config/limits"
        self.last = self._read()

    def _read(self) -> dict[str, int]:
        return requests.get(self.url, timeout=10).json()["calls"]

    def since(self) -> dict[str, int]:
        now = self._read()
        sent = {operation: count - self.last.get(operation, 0) for operation, count in now.items()}
        self.last = now
        return {operation: count for operation, count in sent.items() if count}


@pytest.fixture
def campaigns():
    return [factories.LiveCampaignFactory(goal=Decimal("1000.00")) for _ in range(2)]


def test_an_api_pledge_costs_a_new_backer_two_calls_and_a_returning_one_one(campaigns, gateway):
    backer = factories.UserFactory()
    api = client_for(backer)
    calls = ProviderCalls()

    for campaign, expected in zip(
        campaigns,
        [
            {"POST /v1/customers": 1, "POST /v1/setup_intents": 1},  # new backer
            {"POST /v1/setup_intents": 1},  # returning backer: the same Customer
        ],
        strict=True,
    ):
        card = factories.payment_method()  # Stripe.js, in the browser
        assert calls.since() == {"POST /v1/payment_methods": 1}
        response = api.post("/api/pledges/", {"campaign": campaign.pk, "amount": "25.00", "payment_method": card})
        assert response.status_code == 201, response.json()
        assert response.json()["state"] == "active"
        assert calls.since() == expected


def test_a_card_declined_at_setup_costs_no_clean_up_call(campaigns, gateway):
    calls = ProviderCalls()
    card = factories.payment_method(factories.CARD_DECLINES_AT_SETUP)
    calls.since()
    response = client_for(factories.UserFactory()).post(
        "/api/pledges/", {"campaign": campaigns[0].pk, "amount": "25.00", "payment_method": card}
    )
    assert response.status_code == 402, response.json()
    # The 402 carries the SetupIntent, already cancelled: nothing to look up or cancel.
    assert calls.since() == {"POST /v1/customers": 1, "POST /v1/setup_intents": 1}


def _web_pledge(client: Client, campaign, gateway) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Checkout, the browser's card step, the confirmation: the calls each made."""
    calls = ProviderCalls()
    checkout = client.post(
        f"/campaigns/{campaign.slug}/pledge/", {"reward": "", "amount": "25.00", "token": f"checkout-{campaign.pk}"}
    )
    assert checkout.status_code == 302, checkout.content[:300]
    pledge_id = int(re.search(r"/me/pledges/(\d+)/", checkout["Location"]).group(1))
    at_checkout = calls.since()
    pledge = campaign.pledges.get(pk=pledge_id)
    complete_test_3ds_setup(gateway, pledge.setup_intent_id, payment_method_id=factories.payment_method())
    in_browser = calls.since()
    confirmed = client.post(f"/me/pledges/{pledge_id}/confirm/")
    assert confirmed.status_code == 302 and confirmed["Location"].endswith("/thanks/"), confirmed["Location"]
    return at_checkout, in_browser, calls.since()


def test_a_web_pledge_costs_a_new_backer_three_calls_and_a_returning_one_two(campaigns, gateway):
    client = Client()
    client.force_login(factories.UserFactory())
    browser = {"POST /v1/payment_methods": 1, "POST /v1/setup_intents/{id}/confirm": 1}
    confirm = {"GET /v1/setup_intents/{id}": 1}

    assert _web_pledge(client, campaigns[0], gateway) == (
        {"POST /v1/customers": 1, "POST /v1/setup_intents": 1},
        browser,
        confirm,
    )
    assert _web_pledge(client, campaigns[1], gateway) == ({"POST /v1/setup_intents": 1}, browser, confirm)


@pytest.mark.parametrize(
    ("card", "state"),
    [(factories.CARD_SUCCEEDS, "succeeded"), (factories.CARD_DECLINES_ON_CHARGE, "failed")],
    ids=["charged", "declined"],
)
def test_collecting_a_pledge_costs_one_call_whether_charged_or_declined(card, state, gateway):
    """The 402 of a declined charge carries its PaymentIntent (as Stripe's does): no look-up."""
    from closing.services import pledge_collect

    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="20.00", card=card)
    factories.closed(campaign)
    calls = ProviderCalls()

    charge = pledge_collect(pledge_id=pledge.pk)

    assert charge.state == state
    assert charge.payment_intent_id.startswith("pi_")
    assert calls.since() == {"POST /v1/payment_intents": 1}


def test_the_processing_fee_of_a_charge_costs_one_call(gateway):
    """The intent with its charge's balance transaction expanded, not three retrievals."""
    from payouts.services import charge_fee_record

    pledge = factories.CollectedPledgeFactory()
    charge = pledge.charges.get(state="succeeded")
    calls = ProviderCalls()

    fee = charge_fee_record(charge_id=charge.pk)

    assert fee is not None and fee.balance_transaction_id.startswith("txn_")
    assert calls.since() == {"GET /v1/payment_intents/{id}": 1}


def test_a_refund_costs_two_calls_and_a_partial_one_refunds_the_rest(gateway):
    """The payment's refunds listed once (one made in the dashboard among them), then the refund."""
    from pledges.services import pledge_refund

    pledge = factories.CollectedPledgeFactory(amount=Decimal("40.00"))
    charge = pledge.charges.get(state="succeeded")
    gateway.client.v1.refunds.create(params={"payment_intent": charge.payment_intent_id, "amount": 1500})
    calls = ProviderCalls()

    refunded = pledge_refund(pledge=pledge, by=factories.StaffFactory(permissions=["pledges.refund_pledge"]))

    assert calls.since() == {"GET /v1/refunds": 1, "POST /v1/refunds": 1}
    charge.refresh_from_db()
    assert (refunded.state, charge.refunded_amount) == ("refunded", Decimal("40.00"))
    amounts = sorted(
        r.amount for r in gateway.client.v1.refunds.list(params={"payment_intent": charge.payment_intent_id})
    )
    assert amounts == [1500, 2500]
