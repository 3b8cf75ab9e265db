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
from closing.services import campaign_close, collection
from core.queue import queued
from pledges.models import Charge, Pledge, WebhookEvent
from pledges.payments import get_gateway
from tests import factories
from tests.support.payments import complete_test_3ds_setup

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
    """The event's object as the body claims it: only a hint, whatever status it says. Its amount
    and currency are the provider's PaymentIntent's (minor units of its currency, as Stripe sends)."""
    at_provider = get_gateway().retrieve_charge(charge.payment_intent_id)
    return {
        "id": charge.payment_intent_id,
        "object": "payment_intent",
        "status": status,
        "amount": at_provider.amount_minor,
        "currency": at_provider.currency,
        "metadata": {"idempotency_key": charge.idempotency_key, "pledge_id": str(charge.pledge_id)},
        "last_payment_error": {"code": "card_declined", "message": "Your card was declined."}
        if status != "succeeded"
        else None,
    }


def _charged_at_provider(card: str) -> Charge:
    """A charge whose worker died after the provider answered: the provider has a PaymentIntent
    (succeeded, or declined for card 0341), our row is still processing."""
    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="25.00", card=card)
    factories.ended(campaign)
    campaign_close(campaign_id=campaign.pk)
    key = f"pledge:{pledge.pk}:charge:1"
    result = get_gateway().charge_off_session(
        customer_id=pledge.stripe_customer_id,
        payment_method_id=pledge.payment_method_id,
        amount_minor=2500,
        currency="usd",
        idempotency_key=key,
        metadata={"pledge_id": str(pledge.pk)},
    )
    return factories.ChargeRowFactory(
        pledge=pledge, idempotency_key=key, payment_intent_id=result.payment_intent_id, submitted_at=timezone.now()
    )


@pytest.fixture
def processing_charge(django_capture_on_commit_callbacks):
    """Succeeded at the provider, processing here: only the webhook can tell us."""
    with django_capture_on_commit_callbacks(execute=False):
        return _charged_at_provider(factories.CARD_SUCCEEDS)


@pytest.fixture
def declined_charge(django_capture_on_commit_callbacks):
    """Declined at the provider, processing here."""
    with django_capture_on_commit_callbacks(execute=False):
        return _charged_at_provider(factories.CARD_DECLINES_ON_CHARGE)


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


def test_payment_failed_errors_the_pledge(client, declined_charge, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        deliver(
            client,
            event("evt_fail", "payment_intent.payment_failed", intent(declined_charge, "requires_payment_method")),
        )

    assert Charge.objects.get(pk=declined_charge.pk).state == Charge.State.FAILED
    assert Pledge.objects.get(pk=declined_charge.pledge_id).state == Pledge.State.ERRORED
    assert queued(callbacks) == [("notifications.tasks.send_notifications", ())]  # the payment-failed e-mail


# --- the body is a hint: what the provider says is what counts ----------------------------


def test_a_signed_success_for_a_payment_the_provider_declined_records_the_decline(client, declined_charge):
    response = deliver(client, event("evt_lie", "payment_intent.succeeded", intent(declined_charge, "succeeded")))

    assert response.status_code == 200
    charge = Charge.objects.get(pk=declined_charge.pk)
    assert (charge.state, charge.failure_code) == (Charge.State.FAILED, "card_declined")
    assert Pledge.objects.get(pk=declined_charge.pledge_id).state == Pledge.State.ERRORED
    campaign = Campaign.objects.get(pk=declined_charge.pledge.campaign_id)
    assert (campaign.collected, campaign.collected_count) == (Decimal("0.000"), 0)


def test_a_signed_failure_for_a_payment_the_provider_took_records_the_success(client, processing_charge):
    deliver(
        client, event("evt_lie", "payment_intent.payment_failed", intent(processing_charge, "requires_payment_method"))
    )

    assert Charge.objects.get(pk=processing_charge.pk).state == Charge.State.SUCCEEDED
    assert Pledge.objects.get(pk=processing_charge.pledge_id).state == Pledge.State.COLLECTED


def test_a_payment_event_pointing_a_charge_at_another_payment_is_refused(client, processing_charge):
    """The body names our charge's key, but the real PaymentIntent it names is not that charge's."""
    pledge = processing_charge.pledge
    other = get_gateway().charge_off_session(
        customer_id=pledge.stripe_customer_id,
        payment_method_id=pledge.payment_method_id,
        amount_minor=2500,
        currency="usd",
        idempotency_key="someone-else",
        metadata={},
    )
    Charge.objects.filter(pk=processing_charge.pk).update(payment_intent_id="")  # the worker died before storing it
    forged = {**intent(processing_charge, "succeeded"), "id": other.payment_intent_id}

    deliver(client, event("evt_swap", "payment_intent.succeeded", forged))

    stored = WebhookEvent.objects.get(event_id="evt_swap")
    assert stored.status == WebhookEvent.Status.IGNORED
    assert stored.error == "The provider's payment is not this charge's."
    assert Charge.objects.get(pk=processing_charge.pk).state == Charge.State.PROCESSING


def test_a_signed_setup_success_the_provider_denies_activates_nothing(client):
    campaign = factories.LiveCampaignFactory(goal=Decimal("100.00"))
    pledge = factories.PledgeFactory(campaign=campaign, amount=Decimal("20"), card=None)
    claim = {"id": pledge.setup_intent_id, "object": "setup_intent", "status": "succeeded", "payment_method": "pm_x"}

    response = deliver(client, event("evt_setup_lie", "setup_intent.succeeded", claim))

    assert response.status_code == 200
    stored = WebhookEvent.objects.get(event_id="evt_setup_lie")
    assert stored.status == WebhookEvent.Status.IGNORED
    assert stored.error == "The provider says the card is not saved (SetupIntent requires_payment_method)."
    assert Pledge.objects.get(pk=pledge.pk).state == Pledge.State.PENDING
    campaign.refresh_from_db()
    assert (campaign.pledged, campaign.backers_count) == (Decimal("0.000"), 0)


def test_a_signed_refund_the_provider_never_made_refunds_nothing(client, processing_charge):
    deliver(client, event("evt_paid", "payment_intent.succeeded", intent(processing_charge, "succeeded")))
    claim = {"id": "ch_1", "object": "charge", "payment_intent": processing_charge.payment_intent_id, "refunded": True}

    deliver(client, event("evt_refund_lie", "charge.refunded", claim))

    assert Pledge.objects.get(pk=processing_charge.pledge_id).state == Pledge.State.COLLECTED
    assert Charge.objects.get(pk=processing_charge.pk).refunded_amount == Decimal("0.000")
    assert Campaign.objects.get(pk=processing_charge.pledge.campaign_id).refunded == Decimal("0.000")
    assert WebhookEvent.objects.get(event_id="evt_refund_lie").status == WebhookEvent.Status.IGNORED


def _refund_at_provider(charge: Charge, amount_minor: int, key: str) -> None:
    get_gateway().refund(payment_intent_id=charge.payment_intent_id, idempotency_key=key, amount_minor=amount_minor)


def test_partial_refunds_add_up_and_only_a_full_one_refunds_the_pledge(client, processing_charge):
    deliver(client, event("evt_paid", "payment_intent.succeeded", intent(processing_charge, "succeeded")))
    body = {"id": "ch_1", "object": "charge", "payment_intent": processing_charge.payment_intent_id}

    _refund_at_provider(processing_charge, 1000, "dashboard-1")  # $10.00 of $25.00, in the provider's dashboard
    deliver(client, event("evt_refund_1", "charge.refunded", body))
    deliver(client, event("evt_refund_1_again", "charge.refunded", body))
    after_first = Charge.objects.get(pk=processing_charge.pk).refunded_amount
    first_state = Pledge.objects.get(pk=processing_charge.pledge_id).state
    _refund_at_provider(processing_charge, 1500, "dashboard-2")  # the remaining $15.00
    deliver(client, event("evt_refund_2", "charge.refunded", body))

    assert (after_first, first_state) == (Decimal("10.00"), Pledge.State.COLLECTED)
    assert Charge.objects.get(pk=processing_charge.pk).refunded_amount == Decimal("25.00")
    assert Pledge.objects.get(pk=processing_charge.pledge_id).state == Pledge.State.REFUNDED
    campaign = Campaign.objects.get(pk=processing_charge.pledge.campaign_id)
    assert (campaign.collected, campaign.refunded) == (Decimal("25.00"), Decimal("25.00"))
    assert WebhookEvent.objects.get(event_id="evt_refund_1_again").status == WebhookEvent.Status.IGNORED


def test_an_event_whose_handling_failed_is_handled_on_the_next_delivery(client, processing_charge, monkeypatch):
    from pledges.payments import ProviderUnavailable

    body = event("evt_retry", "payment_intent.succeeded", intent(processing_charge, "succeeded"))
    gateway = get_gateway()
    real = gateway.retrieve_charge

    def unavailable(payment_intent_id):
        raise ProviderUnavailable("down")

    monkeypatch.setattr(gateway, "retrieve_charge", unavailable)
    first = deliver(client, body)
    monkeypatch.setattr(gateway, "retrieve_charge", real)
    second = deliver(client, body)

    assert (first.status_code, second.status_code) == (503, 200)
    assert second.json()["duplicate"] is False
    assert WebhookEvent.objects.get(event_id="evt_retry").status == WebhookEvent.Status.PROCESSED
    assert Charge.objects.get(pk=processing_charge.pk).state == Charge.State.SUCCEEDED


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
    campaign = factories.LiveCampaignFactory(goal=Decimal("100.00"))
    pledge = factories.PledgeFactory(campaign=campaign, amount=Decimal("20"), card=None)
    assert pledge.state == Pledge.State.PENDING
    card = factories.payment_method(factories.CARD_SUCCEEDS)
    complete_test_3ds_setup(get_gateway(), pledge.setup_intent_id, payment_method_id=card)  # what Stripe.js does
    setup = {"id": pledge.setup_intent_id, "object": "setup_intent", "status": "succeeded", "payment_method": "pm_x"}

    deliver(client, event("evt_setup", "setup_intent.succeeded", setup))
    deliver(client, event("evt_setup_dup", "setup_intent.succeeded", setup))

    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.ACTIVE
    assert pledge.payment_method_id == card  # the provider's, not the body's
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
        campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
        pledge = factories.PledgeFactory(campaign=campaign, amount="10.00")
        # Closed by hand: campaign_close would enqueue collection for a worker other tests may run.
        Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.SUCCESSFUL, closed_at=timezone.now())
        charge = collection.pledge_collect(pledge_id=pledge.pk)
        event = wait_until(
            lambda: (
                WebhookEvent.objects.filter(
                    type="payment_intent.succeeded", payload__data__object__id=charge.payment_intent_id
                )
                .exclude(status=WebhookEvent.Status.RECEIVED)
                .first()
            ),
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
    campaign = factories.LiveCampaignFactory(goal=Decimal("100.00"))
    pledge = factories.PledgeFactory(campaign=campaign, amount=Decimal("20"), card=None)
    complete_test_3ds_setup(get_gateway(), pledge.setup_intent_id, payment_method_id=factories.payment_method())
    factories.ended(campaign)  # the card was confirmed too late: the campaign takes no more pledges
    setup = {"id": pledge.setup_intent_id, "object": "setup_intent", "status": "succeeded"}

    response = deliver(client, event("evt_late_setup", "setup_intent.succeeded", setup))

    assert response.status_code == 200  # a 500 would make Stripe send it again and again
    stored = WebhookEvent.objects.get(event_id="evt_late_setup")
    assert stored.status == WebhookEvent.Status.IGNORED
    assert "not taking pledges" in stored.error
    assert Pledge.objects.get(pk=pledge.pk).state == Pledge.State.PENDING
    campaign.refresh_from_db()
    assert (campaign.pledged, campaign.backers_count) == (Decimal("0.00"), 0)


# --- correctly signed, malformed --------------------------------------------------------------


def _signed(client, payload: bytes):
    return client.post(URL, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload))


@pytest.mark.parametrize(
    "payload",
    [
        b'{"id": "evt_nul", "type": "charge.refunded", "data": {"object": {"id": "ch_\\u0000"}}}',
        json.dumps({"id": "evt_" + "x" * 300, "type": "charge.refunded", "data": {"object": {}}}).encode(),
        b'{"id": "evt_big", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_1", "amount": 1e999}}}',
        b'{"id": "evt_nan", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_1", "amount": NaN}}}',
        b'{"id": 7, "type": "payment_intent.succeeded"}',
        b"[" * 5000 + b"]" * 5000,
    ],
)
def test_correctly_signed_but_malformed_events_are_a_400_and_not_stored(client, payload):
    response = _signed(client, payload)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"id": "evt_nodata", "type": "payment_intent.succeeded"},
        {"id": "evt_strdata", "type": "setup_intent.succeeded", "data": "x"},
        {"id": "evt_noid", "type": "charge.refunded", "data": {"object": {"payment_intent": 5}}},
    ],
)
def test_well_formed_events_without_a_usable_object_are_stored_and_ignored(client, body):
    response = _signed(client, json.dumps(body).encode())

    assert response.status_code == 200
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.IGNORED


@pytest.mark.parametrize("method", ["options", "get", "put", "delete"])
def test_other_methods_on_the_webhook_are_answered_without_a_500(client, method):
    response = getattr(client, method)(URL)

    assert response.status_code == (200 if method == "options" else 405)


def test_a_webhook_questions_the_provider_as_background_work_and_gives_up_in_seconds(client, monkeypatch):
    """Nobody but Stripe waits on it: it does not draw on the people's reserve."""
    from closing.services import webhooks
    from pledges.payments import ratelimit

    seen = []

    def handler(event):
        seen.append((ratelimit.current_priority(), ratelimit.current_wait(ratelimit.current_priority())))
        return True

    monkeypatch.setitem(webhooks.HANDLERS, "test.priority", handler)
    response = deliver(client, event("evt_priority_1", "test.priority", {"id": "obj_1"}))

    assert response.status_code == 200, response.content
    assert seen == [(ratelimit.BACKGROUND, 5.0)]
    assert ratelimit.current_priority() == ratelimit.INTERACTIVE  # only inside the webhook
