"""Signed Stripe events: forged, duplicate, late and out-of-order deliveries."""

import hashlib
import hmac
import json
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from campaigns.models import Campaign
from closing import collection
from closing.services import campaign_close
from core.queue import queued
from pledges.models import Charge, Pledge, WebhookEvent
from pledges.services import pledge_create
from tests import factories
from tests.pledges.helpers import back, end

pytestmark = pytest.mark.django_db
URL = "/api/webhooks/stripe/"


def sign(payload: bytes, secret: str | None = None, timestamp: int | None = None) -> str:
    timestamp = timestamp or int(time.time())
    digest = hmac.new(
        (secret or settings.STRIPE_WEBHOOK_SECRET).encode(), f"{timestamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def deliver(client, event: dict, **sign_kwargs):
    payload = json.dumps(event).encode()
    signature = sign(payload, **sign_kwargs)
    return client.post(URL, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)


def event(event_id: str, kind: str, obj: dict) -> dict:
    return {"id": event_id, "object": "event", "type": kind, "created": int(time.time()), "data": {"object": obj}}


def intent(charge: Charge, status: str) -> dict:
    return {
        "id": charge.payment_intent_id or f"pi_test_{charge.pk}",
        "object": "payment_intent",
        "status": status,
        "amount": int(charge.amount * 100),
        "currency": "usd",
        "metadata": {"idempotency_key": charge.idempotency_key, "pledge_id": str(charge.pledge_id)},
        "last_payment_error": {"code": "card_declined", "message": "Your card was declined."}
        if status != "succeeded"
        else None,
    }


@pytest.fixture
def processing_charge(django_capture_on_commit_callbacks):
    """A charge whose worker died after Stripe took the money: only the webhook can tell us."""
    campaign = factories.live_campaign(goal=Decimal("10.00"))
    pledge = back(campaign, "25.00")
    end(campaign)
    with django_capture_on_commit_callbacks(execute=False):
        campaign_close(campaign_id=campaign.pk)
    return Charge.objects.create(
        pledge=pledge,
        attempt=1,
        idempotency_key=f"pledge:{pledge.pk}:charge:1",
        amount=pledge.amount,
        currency="USD",
        payment_intent_id=f"pi_webhook_{pledge.pk}",
    )


def test_a_forged_signature_is_refused_and_nothing_is_stored(client, processing_charge):
    response = deliver(
        client,
        event("evt_forged", "payment_intent.succeeded", intent(processing_charge, "succeeded")),
        secret="whsec_attacker",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    assert not WebhookEvent.objects.exists()
    assert Charge.objects.get(pk=processing_charge.pk).state == Charge.State.PROCESSING


def test_an_unsigned_or_stale_event_is_refused(client, processing_charge):
    body = event("evt_x", "payment_intent.succeeded", intent(processing_charge, "succeeded"))

    unsigned = client.post(URL, json.dumps(body), content_type="application/json")
    stale = deliver(client, body, timestamp=int(time.time()) - 3600)

    assert unsigned.status_code == stale.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_payment_intent_succeeded_records_the_charge_once_even_when_delivered_twice(client, processing_charge):
    body = event("evt_ok_1", "payment_intent.succeeded", intent(processing_charge, "succeeded"))

    first = deliver(client, body)
    second = deliver(client, body)

    assert first.status_code == second.status_code == 200
    assert (first.json()["duplicate"], second.json()["duplicate"]) == (False, True)
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED
    assert Charge.objects.get(pk=processing_charge.pk).state == Charge.State.SUCCEEDED
    assert Pledge.objects.get(pk=processing_charge.pledge_id).state == Pledge.State.COLLECTED
    campaign = Campaign.objects.get(pk=processing_charge.pledge.campaign_id)
    assert (campaign.collected, campaign.collected_count) == (Decimal("25.00"), 1)


def test_a_late_success_event_after_we_recorded_it_changes_nothing(client, processing_charge):
    deliver(client, event("evt_a", "payment_intent.succeeded", intent(processing_charge, "succeeded")))

    late = deliver(client, event("evt_b", "payment_intent.succeeded", intent(processing_charge, "succeeded")))

    assert late.status_code == 200
    campaign = Campaign.objects.get(pk=processing_charge.pledge.campaign_id)
    assert (campaign.collected, campaign.collected_count) == (Decimal("25.00"), 1)


def test_a_failure_event_arriving_after_the_success_is_ignored(client, processing_charge):
    deliver(client, event("evt_ok", "payment_intent.succeeded", intent(processing_charge, "succeeded")))

    stale = deliver(
        client,
        event("evt_old_fail", "payment_intent.payment_failed", intent(processing_charge, "requires_payment_method")),
    )

    assert stale.status_code == 200
    assert Charge.objects.get(pk=processing_charge.pk).state == Charge.State.SUCCEEDED
    assert Pledge.objects.get(pk=processing_charge.pledge_id).state == Pledge.State.COLLECTED


def test_payment_failed_errors_the_pledge(client, processing_charge, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        deliver(
            client,
            event("evt_fail", "payment_intent.payment_failed", intent(processing_charge, "requires_payment_method")),
        )

    assert Charge.objects.get(pk=processing_charge.pk).state == Charge.State.FAILED
    assert Pledge.objects.get(pk=processing_charge.pledge_id).state == Pledge.State.ERRORED
    assert queued(callbacks) == [("notifications.tasks.send_notifications", ())]  # the payment-failed e-mail


def test_charge_refunded_marks_the_pledge_refunded_once(client, processing_charge):
    deliver(client, event("evt_paid", "payment_intent.succeeded", intent(processing_charge, "succeeded")))
    refund = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": processing_charge.payment_intent_id,
        "refunds": {"data": [{"id": "re_1"}]},
    }

    deliver(client, event("evt_refund", "charge.refunded", refund))
    deliver(client, event("evt_refund_again", "charge.refunded", refund))

    assert Pledge.objects.get(pk=processing_charge.pledge_id).state == Pledge.State.REFUNDED
    campaign = Campaign.objects.get(pk=processing_charge.pledge.campaign_id)
    assert campaign.refunded == Decimal("25.00")
    assert WebhookEvent.objects.get(event_id="evt_refund_again").status == WebhookEvent.Status.IGNORED


def test_a_dispute_is_recorded_on_the_charge(client, processing_charge):
    deliver(client, event("evt_paid", "payment_intent.succeeded", intent(processing_charge, "succeeded")))

    deliver(
        client,
        event(
            "evt_dispute",
            "charge.dispute.created",
            {"id": "dp_1", "object": "dispute", "payment_intent": processing_charge.payment_intent_id},
        ),
    )

    assert Charge.objects.get(pk=processing_charge.pk).disputed_at is not None


def test_setup_intent_succeeded_activates_a_pending_pledge(client):
    campaign = factories.live_campaign(goal=Decimal("100.00"))
    pledge = pledge_create(backer=factories.UserFactory(), campaign_id=campaign.pk, amount=Decimal("20"))
    assert pledge.state == Pledge.State.PENDING
    setup = {
        "id": pledge.setup_intent_id,
        "object": "setup_intent",
        "status": "succeeded",
        "payment_method": "pm_from_browser",
    }

    deliver(client, event("evt_setup", "setup_intent.succeeded", setup))
    deliver(client, event("evt_setup_dup", "setup_intent.succeeded", setup))

    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.ACTIVE
    assert pledge.payment_method_id == "pm_from_browser"
    campaign.refresh_from_db()
    assert (campaign.pledged, campaign.backers_count) == (Decimal("20.00"), 1)


def test_events_we_do_not_handle_are_acknowledged_and_stored(client):
    response = deliver(client, event("evt_other", "customer.created", {"id": "cus_1", "object": "customer"}))

    assert response.status_code == 200
    assert WebhookEvent.objects.get(event_id="evt_other").status == WebhookEvent.Status.IGNORED


@pytest.mark.django_db(transaction=True)
def test_localstripe_delivers_payment_intent_succeeded_to_our_endpoint(live_server, settings):
    """The real provider-side webhook: localstripe signs and posts the event to a live server."""
    from pledges.payments import get_gateway
    from tests.conftest import wait_until

    get_gateway().register_webhook(
        url=f"{live_server.url}{URL}", secret=settings.STRIPE_WEBHOOK_SECRET, endpoint_id="pytest-live"
    )
    try:
        campaign = factories.live_campaign(goal=Decimal("10.00"))
        pledge = back(campaign, "10.00")
        # Closed by hand: campaign_close would enqueue collection for a worker other tests may run.
        Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.SUCCESSFUL, closed_at=timezone.now())
        charge = collection.pledge_collect(pledge_id=pledge.pk)
        event = wait_until(
            lambda: WebhookEvent.objects.filter(
                type="payment_intent.succeeded", payload__data__object__id=charge.payment_intent_id
            ).first(),
            timeout=20,
            message="localstripe's payment_intent.succeeded",
        )
    finally:
        get_gateway().register_webhook(
            url=f"{live_server.url}{URL}", secret=settings.STRIPE_WEBHOOK_SECRET, endpoint_id="pytest-live", events=[]
        )
    # We had recorded the success already; the event is stored, and changes nothing.
    assert event.status == WebhookEvent.Status.PROCESSED
    assert Campaign.objects.get(pk=campaign.pk).collected_count == 1


def test_setup_succeeded_after_the_deadline_is_acknowledged_and_changes_nothing(client):
    campaign = factories.live_campaign(goal=Decimal("100.00"))
    pledge = pledge_create(backer=factories.UserFactory(), campaign_id=campaign.pk, amount=Decimal("20"))
    end(campaign)  # the card was confirmed too late: the campaign takes no more pledges
    setup = {"id": pledge.setup_intent_id, "object": "setup_intent", "status": "succeeded"}

    response = deliver(client, event("evt_late_setup", "setup_intent.succeeded", setup))

    assert response.status_code == 200  # a 500 would make Stripe send it again and again
    stored = WebhookEvent.objects.get(event_id="evt_late_setup")
    assert stored.status == WebhookEvent.Status.IGNORED
    assert "not taking pledges" in stored.error
    assert Pledge.objects.get(pk=pledge.pk).state == Pledge.State.PENDING
    campaign.refresh_from_db()
    assert (campaign.pledged, campaign.backers_count) == (Decimal("0.00"), 0)
