import threading
from decimal import Decimal

import pytest
from django.db import connection

from campaigns.models import Campaign
from closing.selectors import campaigns_due_for_close
from closing.services import campaign_close
from core.queue import queued
from pledges.models import Charge, Pledge
from pledges.payments import get_gateway
from tests import factories
from tests.support.payments import payment_intents_of

pytestmark = pytest.mark.django_db


def test_all_or_nothing_campaign_that_met_its_goal_closes_successful_and_starts_collection(
    django_capture_on_commit_callbacks,
):
    campaign = factories.LiveCampaignFactory(goal=Decimal("50.00"))
    factories.PledgeFactory(campaign=campaign, amount="30.00")
    factories.PledgeFactory(campaign=campaign, amount="25.00")
    factories.ended(campaign)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        closed = campaign_close(campaign_id=campaign.pk)

    assert closed.state == Campaign.State.SUCCESSFUL
    assert closed.closed_at is not None
    # Enqueued only once the close commits: the collection, and the e-mails to creator and backers.
    assert queued(callbacks) == [
        ("closing.tasks.collect_campaign", (campaign.pk,)),
        ("notifications.tasks.fan_out_campaign_notification", (campaign.pk, "campaign_successful")),
    ]
    assert set(campaign.pledges.values_list("state", flat=True)) == {"active"}


def test_goal_missed_fails_releases_every_pledge_and_touches_no_card(django_capture_on_commit_callbacks):
    campaign = factories.LiveCampaignFactory(goal=Decimal("1000.00"))
    pledges = [
        factories.PledgeFactory(campaign=campaign, amount="30.00"),
        factories.PledgeFactory(campaign=campaign, amount="40.00"),
    ]
    factories.ended(campaign)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        closed = campaign_close(campaign_id=campaign.pk)

    assert closed.state == Campaign.State.FAILED
    assert queued(callbacks) == [
        ("notifications.tasks.fan_out_campaign_notification", (campaign.pk, "campaign_failed")),
    ]
    assert set(campaign.pledges.values_list("state", flat=True)) == {"released"}
    assert not Charge.objects.exists()
    for pledge in pledges:
        assert payment_intents_of(get_gateway(), pledge.stripe_customer_id) == []
    campaign.refresh_from_db()
    assert (campaign.pledged, campaign.backers_count, campaign.collected) == (Decimal("70.00"), 2, Decimal("0"))


@pytest.mark.parametrize(("pledged", "state"), [("1.00", "successful"), (None, "failed")])
def test_flexible_campaign_keeps_whatever_was_pledged(pledged, state, django_capture_on_commit_callbacks):
    campaign = factories.LiveCampaignFactory(goal=Decimal("1000.00"), funding_model="flexible")
    if pledged:
        factories.PledgeFactory(campaign=campaign, amount=pledged)
    factories.ended(campaign)

    with django_capture_on_commit_callbacks(execute=False):
        assert campaign_close(campaign_id=campaign.pk).state == state


def test_closing_twice_changes_nothing_more(django_capture_on_commit_callbacks):
    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    factories.PledgeFactory(campaign=campaign, amount="10.00")
    factories.ended(campaign)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = campaign_close(campaign_id=campaign.pk)
        second = campaign_close(campaign_id=campaign.pk)

    assert first.state == Campaign.State.SUCCESSFUL
    assert second is None
    assert [name for name, _ in queued(callbacks)].count("closing.tasks.collect_campaign") == 1
    assert campaigns_due_for_close() == []


def test_a_campaign_before_its_deadline_is_not_closed():
    campaign = factories.LiveCampaignFactory()

    assert campaign_close(campaign_id=campaign.pk) is None
    assert Campaign.objects.get(pk=campaign.pk).state == Campaign.State.LIVE


def test_pending_pledges_lapse_at_the_close(django_capture_on_commit_callbacks):
    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    factories.PledgeFactory(campaign=campaign, amount="10.00")

    pending = factories.PledgeFactory(campaign=campaign, amount=Decimal("5"), card=None)
    factories.ended(campaign)

    with django_capture_on_commit_callbacks(execute=False):
        campaign_close(campaign_id=campaign.pk)

    pending.refresh_from_db()
    assert (pending.state, pending.end_reason) == (Pledge.State.CANCELED, Pledge.EndReason.EXPIRED)


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_close_a_campaign_exactly_once():
    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    factories.PledgeFactory(campaign=campaign, amount="10.00")
    factories.ended(campaign)
    start = threading.Barrier(4)
    results = []

    def sweep():
        try:
            start.wait()
            results.append(campaign_close(campaign_id=campaign.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(results) == 4
    assert sum(result is not None for result in results) == 1
    assert Campaign.objects.get(pk=campaign.pk).state == Campaign.State.SUCCESSFUL
