"""Collecting pledges one by one through the service, with the real SDK against localstripe."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.models import Campaign
from closing.selectors import pledges_due_for_retry
from closing.services import collection
from core.queue import queued
from notifications.models import Notification
from notifications.services import notifications_send
from pledges.models import Charge, Pledge
from pledges.payments import get_gateway
from tests import factories
from tests.conftest import client_for
from tests.support.http import canned_stripe
from tests.support.payments import succeeded_payment_intents

pytestmark = pytest.mark.django_db


def test_collecting_charges_once_and_the_totals_follow():
    campaign = factories.LiveCampaignFactory(goal=Decimal("50.00"))
    pledges = [
        factories.PledgeFactory(campaign=campaign, amount="30.00"),
        factories.PledgeFactory(campaign=campaign, amount="25.50"),
    ]
    factories.closed(campaign)

    for pledge in pledges:
        charge = collection.pledge_collect(pledge_id=pledge.pk)
        assert charge.state == Charge.State.SUCCEEDED
        assert charge.idempotency_key == f"pledge:{pledge.pk}:charge:1"
        assert charge.payment_intent_id.startswith("pi_")
        # Again, as a duplicate message would: nothing more happens.
        assert collection.pledge_collect(pledge_id=pledge.pk) is None

    campaign.refresh_from_db()
    assert (campaign.collected, campaign.collected_count) == (Decimal("55.50"), 2)
    for pledge, cents in zip(pledges, (3000, 2550), strict=True):
        pledge.refresh_from_db()
        assert pledge.state == Pledge.State.COLLECTED
        assert pledge.charges.count() == 1
        [intent] = succeeded_payment_intents(get_gateway(), pledge.stripe_customer_id, pledge.pk)
        assert (intent["amount"], intent["currency"]) == (cents, "usd")


def test_an_attempt_that_crashed_after_calling_stripe_is_found_not_repeated():
    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="10.00")
    factories.closed(campaign)
    # The crashed worker committed its Charge, marked it submitted, and Stripe charged the card,
    # but the worker died before it could record the result.
    charge = factories.ChargeRowFactory(pledge=pledge, submitted_at=timezone.now())
    get_gateway().charge_off_session(
        customer_id=pledge.stripe_customer_id,
        payment_method_id=pledge.payment_method_id,
        amount_minor=1000,
        currency="usd",
        idempotency_key=charge.idempotency_key,
        metadata={"pledge_id": str(pledge.pk)},
    )

    recovered = collection.pledge_collect(pledge_id=pledge.pk)

    assert recovered.pk == charge.pk
    assert recovered.state == Charge.State.SUCCEEDED
    assert len(succeeded_payment_intents(get_gateway(), pledge.stripe_customer_id, pledge.pk)) == 1
    assert Campaign.objects.get(pk=campaign.pk).collected == Decimal("10.00")


def test_an_attempt_that_crashed_before_reaching_stripe_is_sent_once():
    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="10.00")
    factories.closed(campaign)
    factories.ChargeRowFactory(pledge=pledge, submitted_at=timezone.now())

    assert collection.pledge_collect(pledge_id=pledge.pk).state == Charge.State.SUCCEEDED
    assert len(succeeded_payment_intents(get_gateway(), pledge.stripe_customer_id, pledge.pk)) == 1


def test_a_declined_card_errors_the_pledge_and_tells_the_backer(django_capture_on_commit_callbacks):
    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="10.00", card=factories.CARD_DECLINES_ON_CHARGE)
    factories.closed(campaign)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        charge = collection.pledge_collect(pledge_id=pledge.pk)

    assert charge.state == Charge.State.FAILED
    assert charge.failure_code
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.ERRORED
    assert pledge.next_retry_at == pledge.errored_at + timedelta(hours=48)
    assert queued(callbacks) == [("notifications.tasks.send_notifications", ())]  # after the commit
    assert Campaign.objects.get(pk=campaign.pk).collected == Decimal("0")
    assert Notification.objects.get(kind="payment_failed").recipient == pledge.backer

    mail.outbox.clear()
    assert notifications_send() == 2  # "you're a backer" from the pledge, then this one
    [message] = [m for m in mail.outbox if "didn't go through" in m.subject]
    assert message.to == [pledge.backer.email]
    assert "pledge of $10.00." in message.body
    assert f"/me/pledges/{pledge.pk}/payment-method/" in message.body  # the web page, not the API
    assert message.alternatives[0][1] == "text/html"
    assert notifications_send() == 0


def test_a_card_needing_authentication_off_session_errors_the_pledge(django_capture_on_commit_callbacks):
    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="10.00")
    factories.closed(campaign)
    # The bank now wants 3-D Secure for this card: swap in a 3DS card the backer had saved.
    Pledge.objects.filter(pk=pledge.pk).update(payment_method_id=factories.payment_method(factories.CARD_REQUIRES_3DS))

    with django_capture_on_commit_callbacks(execute=False):
        charge = collection.pledge_collect(pledge_id=pledge.pk)

    assert charge.state == Charge.State.REQUIRES_ACTION
    assert charge.failure_code == "authentication_required"
    assert Pledge.objects.get(pk=pledge.pk).state == Pledge.State.ERRORED


@pytest.mark.parametrize(
    ("payload", "state", "code"),
    [
        ("off_session_declined_402", Charge.State.FAILED, "card_declined"),
        ("off_session_authentication_required_402", Charge.State.REQUIRES_ACTION, "authentication_required"),
    ],
)
def test_real_stripe_s_402_with_its_payment_intent_errors_the_pledge(settings, payload, state, code):
    """Real Stripe's answer to a declined off-session charge (HTTP 402, the PaymentIntent in the
    body; see tests/pledges/test_gateway.py for the payloads), at STRIPE_API_BASE for the charge."""
    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="12.00")
    factories.closed(campaign)

    with canned_stripe(payload) as provider:
        settings.STRIPE_API_BASE = provider.url
        charge = collection.pledge_collect(pledge_id=pledge.pk)

    charge.refresh_from_db()
    assert (charge.state, charge.failure_code, charge.payment_intent_id) == (state, code, "pi_3QxV2nLkdIwHu7ix0c9Hh2Zt")
    assert Pledge.objects.get(pk=pledge.pk).state == Pledge.State.ERRORED
    [(method, path, sent)] = provider.requests
    assert (method, path, sent["amount"], sent["currency"]) == ("POST", "/v1/payment_intents", "1200", "usd")
    assert sent["metadata[idempotency_key]"] == f"pledge:{pledge.pk}:charge:1"


def test_the_backer_replaces_the_card_and_it_is_charged_at_once(django_capture_on_commit_callbacks):
    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="12.00", card=factories.CARD_DECLINES_ON_CHARGE)
    factories.closed(campaign)
    with django_capture_on_commit_callbacks(execute=False):
        collection.pledge_collect(pledge_id=pledge.pk)

    response = client_for(pledge.backer).post(
        f"/api/pledges/{pledge.pk}/payment-method/", {"payment_method": factories.payment_method()}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "collected"
    assert list(pledge.charges.order_by("attempt").values_list("state", flat=True)) == ["failed", "succeeded"]
    assert Campaign.objects.get(pk=campaign.pk).collected == Decimal("12.00")
    # Only an errored pledge takes a new card.
    again = client_for(pledge.backer).post(
        f"/api/pledges/{pledge.pk}/payment-method/", {"payment_method": factories.payment_method()}, format="json"
    )
    assert again.status_code == 409


def test_errored_pledges_are_retried_every_48_hours_then_dropped(settings, django_capture_on_commit_callbacks):
    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="10.00", card=factories.CARD_DECLINES_ON_CHARGE)
    factories.closed(campaign)
    with django_capture_on_commit_callbacks(execute=False):
        collection.pledge_collect(pledge_id=pledge.pk)
    pledge.refresh_from_db()

    assert pledges_due_for_retry(now=pledge.errored_at + timedelta(hours=47)) == []
    assert pledges_due_for_retry(now=pledge.errored_at + timedelta(hours=48)) == [pledge.pk]
    with django_capture_on_commit_callbacks(execute=False):
        second = collection.pledge_collect(pledge_id=pledge.pk, now=pledge.errored_at + timedelta(hours=48))
    assert second.attempt == 2
    assert second.state == Charge.State.FAILED

    assert collection.pledges_drop_errored(now=pledge.errored_at + settings.ERRORED_PLEDGE_GRACE) == 1
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.DROPPED
    assert collection.pledge_collect(pledge_id=pledge.pk) is None
    assert Campaign.objects.get(pk=campaign.pk).collected == Decimal("0")


def test_nothing_is_charged_for_a_failed_campaign():
    campaign = factories.LiveCampaignFactory(goal=Decimal("1000.00"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="10.00")
    factories.closed(campaign)

    assert collection.pledge_collect(pledge_id=pledge.pk) is None
    assert not Charge.objects.exists()


def test_a_charge_costs_twelve_statements_and_one_provider_call(django_assert_num_queries, monkeypatch):
    """Per charge: the pledge's collection lock; one transaction opening the attempt (the pledge
    locked with its last attempt and the one in flight, the charge row written submitted); the
    provider; one transaction recording it in the lock order (campaign, pledge, charge, then the
    pledge, the campaign's totals, the charge, its two ledger entries and the backer's "charged"
    e-mail row written); the lock released. The two transactions are savepoints inside the test's
    own: 4 statements more."""
    campaign = factories.LiveCampaignFactory(goal=Decimal("20.00"))
    pledges = [
        factories.PledgeFactory(campaign=campaign, amount="20.00"),
        factories.PledgeFactory(campaign=campaign, amount="5.00"),
    ]
    factories.closed(campaign)
    gateway = get_gateway()
    lookups = []
    for name in ("find_charge", "retrieve_charge"):  # still the real calls, counted
        real = getattr(gateway, name)
        monkeypatch.setattr(gateway, name, lambda *a, _real=real, **k: lookups.append(k) or _real(*a, **k))

    for pledge in pledges:
        with django_assert_num_queries(12 + 4) as captured:
            charge = collection.pledge_collect(pledge_id=pledge.pk)
        assert charge.state == Charge.State.SUCCEEDED
        sql = [query["sql"] for query in captured.captured_queries]
        assert "pg_try_advisory_lock" in sql[0] and "pg_advisory_unlock" in sql[-1]

    assert lookups == []  # a new attempt is sent at once, never looked up first
    campaign.refresh_from_db()
    assert (campaign.collected, campaign.collected_count) == (Decimal("25.00"), 2)
