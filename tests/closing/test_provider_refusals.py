"""Provider errors during collection, by class: a refusal of the request itself (not a decline,
not a timeout) errors the pledge with the reason, tells the backer, and is never re-sent."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from closing.selectors import pledges_due_for_retry, pledges_left_uncollected
from closing.services import campaign_close
from closing.services.collection import pledge_collect
from notifications.models import Notification
from pledges.models import Charge, Pledge
from pledges.payments import get_gateway
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def refused_pledge() -> Pledge:
    """A pledge whose Customer no longer exists at the provider (deleted in its dashboard)."""
    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="25.00")
    factories.closed(campaign)
    Pledge.objects.filter(pk=pledge.pk).update(stripe_customer_id="cus_deleted_in_dashboard")
    return pledge


def test_a_refused_charge_errors_the_pledge_with_the_reason_and_stops(
    refused_pledge, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        charge = pledge_collect(pledge_id=refused_pledge.pk)

    charge.refresh_from_db()
    assert (charge.state, charge.failure_code, charge.failure_message) == (
        Charge.State.FAILED,
        "invalid_request_error",
        "Not Found",
    )
    pledge = Pledge.objects.get(pk=refused_pledge.pk)
    assert (pledge.state, pledge.next_retry_at) == (Pledge.State.ERRORED, None)
    assert list(Notification.objects.filter(kind="payment_failed").values_list("recipient_id", flat=True)) == [
        pledge.backer_id
    ]
    later = timezone.now() + timedelta(days=3)
    assert pledges_due_for_retry(now=later) == []
    assert pledges_left_uncollected(now=later) == []


def test_replacing_the_card_of_such_a_pledge_answers_402_with_the_reason(
    refused_pledge, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        pledge_collect(pledge_id=refused_pledge.pk)

    response = client_for(refused_pledge.backer).post(
        f"/api/pledges/{refused_pledge.pk}/payment-method/",
        {"payment_method": factories.payment_method()},
        format="json",
    )

    assert response.status_code == 402
    assert response.json() == {
        "detail": "The new card was saved but could not be charged: Not Found",
        "code": "invalid_request_error",
    }
    assert Pledge.objects.get(pk=refused_pledge.pk).state == Pledge.State.ERRORED


def test_a_charge_refused_right_after_a_new_card_is_saved_is_a_402_not_a_500(
    django_capture_on_commit_callbacks, monkeypatch
):
    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="25.00", card=factories.CARD_DECLINES_ON_CHARGE)
    factories.ended(campaign)
    with django_capture_on_commit_callbacks(execute=False):
        campaign_close(campaign_id=campaign.pk)
        pledge_collect(pledge_id=pledge.pk)
    assert Pledge.objects.get(pk=pledge.pk).state == Pledge.State.ERRORED
    from pledges.payments import PaymentError

    def refused(**kwargs):
        raise PaymentError("Amount must be at least $0.50 usd", code="amount_too_small")

    monkeypatch.setattr(get_gateway(), "charge_off_session", refused)  # what Stripe says, not localstripe

    with django_capture_on_commit_callbacks(execute=False):
        response = client_for(pledge.backer).post(
            f"/api/pledges/{pledge.pk}/payment-method/", {"payment_method": factories.payment_method()}, format="json"
        )

    assert (response.status_code, response.json()["code"]) == (402, "amount_too_small")
    assert Pledge.objects.get(pk=pledge.pk).state == Pledge.State.ERRORED
    latest = Charge.objects.filter(pledge=pledge).order_by("-attempt").first()
    assert (latest.attempt, latest.state, latest.failure_code) == (2, Charge.State.FAILED, "amount_too_small")
