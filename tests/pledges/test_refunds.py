from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from campaigns.models import Campaign
from closing.services import campaign_close, collection
from pledges.models import Pledge
from pledges.payments import get_gateway
from tests import factories
from tests.conftest import at_once, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def collected_pledge():
    return factories.CollectedPledgeFactory()


def _refunds_at_provider(pledge):
    intent = pledge.charges.get(state="succeeded").payment_intent_id
    return list(get_gateway().client.v1.refunds.list(params={"payment_intent": intent}).auto_paging_iter())


def test_staff_refund_is_idempotent_and_the_totals_follow(collected_pledge, staff):
    client = client_for(staff)

    first = client.post(f"/api/pledges/{collected_pledge.pk}/refund/")
    second = client.post(f"/api/pledges/{collected_pledge.pk}/refund/")

    assert first.status_code == second.status_code == 200
    assert first.json()["state"] == second.json()["state"] == "refunded"
    assert len(_refunds_at_provider(collected_pledge)) == 1
    campaign = Campaign.objects.get(pk=collected_pledge.campaign_id)
    assert (campaign.collected, campaign.refunded) == (Decimal("40.00"), Decimal("40.00"))


def test_creator_may_refund_within_the_window_only(collected_pledge, settings):
    creator = collected_pledge.campaign.creator
    late = collected_pledge.collected_at + settings.CREATOR_REFUND_WINDOW + timedelta(seconds=1)

    with time_machine.travel(late):
        refused = client_for(creator).post(f"/api/pledges/{collected_pledge.pk}/refund/")
    allowed = client_for(creator).post(f"/api/pledges/{collected_pledge.pk}/refund/")

    assert refused.status_code == 403
    assert refused.json()["code"] == "refund_window"
    assert allowed.status_code == 200
    assert Pledge.objects.get(pk=collected_pledge.pk).state == Pledge.State.REFUNDED


def test_backers_and_strangers_cannot_refund(collected_pledge):
    stranger = factories.UserFactory()

    assert client_for(stranger).post(f"/api/pledges/{collected_pledge.pk}/refund/").status_code == 404
    assert client_for(collected_pledge.backer).post(f"/api/pledges/{collected_pledge.pk}/refund/").status_code == 404
    assert Pledge.objects.get(pk=collected_pledge.pk).state == Pledge.State.COLLECTED


def test_an_uncollected_pledge_cannot_be_refunded(staff):
    pledge = factories.PledgeFactory(campaign=factories.LiveCampaignFactory(), amount="10.00")

    response = client_for(staff).post(f"/api/pledges/{pledge.pk}/refund/")

    assert response.status_code == 409
    assert response.json()["code"] == "not_collected"


def test_after_a_partial_refund_in_the_dashboard_staff_refund_the_rest_exactly(collected_pledge, staff):
    intent = collected_pledge.charges.get(state="succeeded").payment_intent_id
    get_gateway().refund(payment_intent_id=intent, idempotency_key="dashboard", amount_minor=1550)  # $15.50 of $40

    response = client_for(staff).post(f"/api/pledges/{collected_pledge.pk}/refund/")

    assert (response.status_code, response.json()["state"]) == (200, "refunded")
    assert sorted(refund.amount for refund in _refunds_at_provider(collected_pledge)) == [1550, 2450]
    charge = collected_pledge.charges.get(state="succeeded")
    assert charge.refunded_amount == Decimal("40.00")
    campaign = Campaign.objects.get(pk=collected_pledge.campaign_id)
    assert (campaign.collected, campaign.refunded) == (Decimal("40.00"), Decimal("40.00"))


@pytest.mark.django_db(transaction=True)
def test_two_refund_requests_at_once_refund_once():
    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="40.00")
    factories.ended(campaign)
    campaign_close(campaign_id=campaign.pk)
    collection.pledge_collect(pledge_id=pledge.pk)
    staff = factories.StaffFactory()
    statuses = at_once(3, lambda _: client_for(staff).post(f"/api/pledges/{pledge.pk}/refund/").status_code)

    assert sorted(statuses)[0] == 200 and set(statuses) <= {200, 409}
    assert [refund.amount for refund in _refunds_at_provider(pledge)] == [4000]
    campaign.refresh_from_db()
    assert (campaign.collected, campaign.refunded) == (Decimal("40.00"), Decimal("40.00"))
    assert Pledge.objects.get(pk=pledge.pk).state == Pledge.State.REFUNDED


def test_the_backer_report_shows_a_partial_refund_exactly(collected_pledge):
    from pledges.services import charge_record_refunds
    from tests.support.books import parse_csv, streamed

    charge = collected_pledge.charges.get(state="succeeded")
    gateway = get_gateway()
    gateway.refund(payment_intent_id=charge.payment_intent_id, idempotency_key="dashboard", amount_minor=1550)
    charge_record_refunds(charge_id=charge.pk, refunds=gateway.refunds_of(charge.payment_intent_id))

    response = client_for(collected_pledge.campaign.creator).get(
        f"/api/campaigns/{collected_pledge.campaign_id}/backers.csv"
    )

    header, values = parse_csv(streamed(response))
    row = dict(zip(header, values, strict=True))
    assert (row["Pledge Amount"], row["Pledge Status"], row["Refunded Amount"]) == ("40.00", "collected", "15.50")
    campaign = Campaign.objects.get(pk=collected_pledge.campaign_id)
    assert (campaign.collected, campaign.refunded) == (Decimal("40.00"), Decimal("15.50"))
