"""Money e-mails: a charge at collection, a fixed card charged, refunds (partial and full). Each
event is told once, whatever is delivered twice or retried, in the backer's language."""

import hashlib
import hmac
import json
import time
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail

from accounts.services import user_set_language
from closing.services import campaign_close, collection
from notifications.models import Notification
from notifications.services import notifications_send
from pledges.models import Charge, Pledge
from pledges.payments import get_gateway
from pledges.services import charge_record_refunds
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
WEBHOOK = "/api/webhooks/stripe/"


def deliver(client, event_id: str, kind: str, obj: dict):
    payload = json.dumps(
        {"id": event_id, "object": "event", "type": kind, "created": int(time.time()), "data": {"object": obj}}
    ).encode()
    stamp = int(time.time())
    digest = hmac.new(
        settings.STRIPE_WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    signature = f"t={stamp},v1={digest}"
    return client.post(WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)


def money_mails(user) -> list[str]:
    return sorted(
        Notification.objects.filter(
            recipient=user, kind__in=("pledge_charged", "fixed_card_charged", "pledge_refunded")
        ).values_list("kind", flat=True)
    )


def sent_to(user) -> list:
    return [message for message in mail.outbox if message.to == [user.email]]


def _collected(*, currency: str = "USD", amount: str = "40.00", minimum: str = "25.00", shipping: str = "5.00"):
    campaign = factories.LiveCampaignFactory(
        goal=Decimal("10"),
        currency=currency,
        rewards=[{"title": "Signed vinyl", "minimum": Decimal(minimum), "shipping": Decimal(shipping)}],
    )
    pledge = factories.PledgeFactory(campaign=campaign, amount=amount, reward=campaign.rewards.get())
    factories.closed(campaign)
    collection.pledge_collect(pledge_id=pledge.pk)
    return Pledge.objects.get(pk=pledge.pk)


def test_a_collected_pledge_is_told_once_despite_duplicate_webhooks_and_a_retried_task(client):
    pledge = _collected()
    charge = pledge.charges.get(state=Charge.State.SUCCEEDED)
    hint = {"id": charge.payment_intent_id, "object": "payment_intent", "status": "succeeded"}

    # The provider's event, twice under one id and once more under another; then the task runs again.
    for event_id in ("evt_paid", "evt_paid", "evt_paid_again"):
        assert deliver(client, event_id, "payment_intent.succeeded", hint).status_code == 200
    assert collection.pledge_collect(pledge_id=pledge.pk) is None  # collect_pledge retried: nothing to do

    assert money_mails(pledge.backer) == ["pledge_charged"]
    mail.outbox.clear()
    assert notifications_send() == 2  # the pledge confirmed at pledge time, and the charge
    assert notifications_send() == 0
    (message,) = [m for m in sent_to(pledge.backer) if "charged" in m.subject]
    assert message.subject == f"Your pledge to {pledge.campaign.title} was charged"
    assert "we charged $40.00 to your card for your pledge." in message.body
    assert "Reward: Signed vinyl" in message.body
    assert f"Charged on: {pledge.collected_at:%-d %B %Y, %H:%M} UTC" in message.body
    assert f"{settings.SITE_URL}/me/pledges/{pledge.pk}/receipt/" in message.body


def test_the_new_card_of_an_errored_pledge_is_told_as_such_and_once():
    campaign = factories.LiveCampaignFactory(goal=Decimal("10"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="25.00", card=factories.CARD_DECLINES_ON_CHARGE)
    factories.closed(campaign)
    collection.pledge_collect(pledge_id=pledge.pk)
    assert Pledge.objects.get(pk=pledge.pk).state == Pledge.State.ERRORED

    errored = Pledge.objects.get(pk=pledge.pk)
    collection.pledge_replace_payment_method(pledge=errored, payment_method_id=factories.payment_method())
    assert collection.pledge_collect(pledge_id=pledge.pk) is None  # the sweep's retry arrives late

    assert money_mails(pledge.backer) == ["fixed_card_charged"]
    mail.outbox.clear()
    notifications_send()
    (charged,) = [m for m in sent_to(pledge.backer) if "new card" in m.subject]
    assert charged.subject == f"Your new card was charged for {campaign.title}"
    assert "we charged $25.00 to it, and your pledge to" in charged.body
    assert f"/me/pledges/{pledge.pk}/receipt/" in charged.body


def test_a_partial_then_a_full_refund_are_each_told_once(client, staff):
    pledge = _collected()
    charge = pledge.charges.get(state=Charge.State.SUCCEEDED)
    gateway = get_gateway()
    gateway.refund(payment_intent_id=charge.payment_intent_id, idempotency_key="dashboard", amount_minor=1550)
    hint = {"id": "ch_x", "object": "charge", "payment_intent": charge.payment_intent_id}

    # The refund made in the dashboard arrives twice, then is applied again by a retried handler.
    assert deliver(client, "evt_refund_1", "charge.refunded", hint).status_code == 200
    assert deliver(client, "evt_refund_1b", "charge.refunded", hint).status_code == 200
    assert charge_record_refunds(charge_id=charge.pk, refunds=gateway.refunds_of(charge.payment_intent_id)) is False
    # Staff refund the rest, twice (a double click).
    assert client_for(staff).post(f"/api/pledges/{pledge.pk}/refund/").status_code == 200
    assert client_for(staff).post(f"/api/pledges/{pledge.pk}/refund/").status_code == 200

    assert money_mails(pledge.backer) == ["pledge_charged", "pledge_refunded", "pledge_refunded"]
    mail.outbox.clear()
    notifications_send()
    refunds = [m for m in sent_to(pledge.backer) if "refund" in m.subject]
    assert len(refunds) == 2
    (partial,) = [m for m in refunds if "$15.50 of your pledge" in m.body]
    (full,) = [m for m in refunds if "refunded in full" in m.body]
    assert f"$15.50 of your pledge to {pledge.campaign.title} was refunded to your card." in partial.body
    assert "Refunded so far: $15.50" in partial.body
    assert "What remains charged: $24.50" in partial.body
    assert f"Your pledge to {pledge.campaign.title} was refunded in full: $24.50 back to your card." in full.body
    assert "Refunded so far: $40.00" in full.body
    assert "What remains charged: $0.00" in full.body


def test_money_e_mails_are_written_in_the_backer_s_language_german():
    campaign = factories.LiveCampaignFactory(goal=Decimal("10"), currency="EUR")
    pledge = factories.PledgeFactory(campaign=campaign, amount="30.00")
    user_set_language(user=pledge.backer, language="de")
    factories.closed(campaign)
    collection.pledge_collect(pledge_id=pledge.pk)

    mail.outbox.clear()
    notifications_send()

    (message,) = [m for m in sent_to(pledge.backer) if "abgebucht" in m.subject]
    assert message.subject == f"Ihre Unterstützung für {campaign.title} wurde abgebucht"
    assert "30,00\xa0€" in message.body
    assert "Ihr Beleg:" in message.body
    assert "Your receipt" not in message.body


def test_a_campaign_closed_twice_and_collected_twice_tells_nobody_twice():
    pledge = _collected(currency="JPY", amount="4000", minimum="3000", shipping="500")
    campaign_close(campaign_id=pledge.campaign_id)
    collection.pledge_collect(pledge_id=pledge.pk)

    assert money_mails(pledge.backer) == ["pledge_charged"]
    mail.outbox.clear()
    notifications_send()
    (message,) = [m for m in sent_to(pledge.backer) if "charged" in m.subject]
    assert "¥4,000" in message.body
