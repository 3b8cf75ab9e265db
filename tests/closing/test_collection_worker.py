"""Closing and collecting with a real Celery worker process on the real broker."""

from decimal import Decimal

import pytest

from campaigns.models import Campaign
from closing.tasks import close_due_campaigns, collection_sweep
from pledges.models import Charge, Pledge
from pledges.payments import get_gateway
from reports.reconcile import reconcile
from tests import factories
from tests.conftest import wait_until
from tests.support.payments import flush_localstripe, payment_intents_of, succeeded_payment_intents_by_pledge

pytestmark = pytest.mark.celery


def _all_collected(campaign, count):
    return Pledge.objects.filter(campaign=campaign, state=Pledge.State.COLLECTED).count() == count


def _assert_each_pledge_charged_exactly_once(campaign, pledges):
    at_provider = succeeded_payment_intents_by_pledge(get_gateway())
    assert [at_provider.get((p.stripe_customer_id, str(p.pk)), 0) for p in pledges] == [1] * len(pledges)
    succeeded = Charge.objects.filter(pledge__in=pledges, state=Charge.State.SUCCEEDED)
    assert sorted(succeeded.values_list("pledge_id", flat=True)) == sorted(p.pk for p in pledges)
    campaign.refresh_from_db()
    assert campaign.collected == sum(p.amount for p in pledges)
    assert campaign.collected_count == len(pledges)


def test_the_sweep_closes_a_funded_campaign_and_the_worker_collects_every_pledge_once(celery_worker):
    campaign = factories.LiveCampaignFactory(goal=Decimal("60.00"))
    pledges = [factories.PledgeFactory(campaign=campaign, amount=f"{20 + i}.50") for i in range(6)]
    failed = factories.LiveCampaignFactory(goal=Decimal("1000000.00"))
    failed_pledges = [factories.PledgeFactory(campaign=failed, amount="30.00") for _ in range(2)]
    factories.ended(campaign)
    factories.ended(failed)

    close_due_campaigns.delay()  # what beat sends every CLOSE_SWEEP_INTERVAL
    close_due_campaigns.delay()  # and a second sweep racing it changes nothing

    wait_until(lambda: _all_collected(campaign, len(pledges)), timeout=60, message="every pledge collected")
    assert Campaign.objects.get(pk=campaign.pk).state == Campaign.State.SUCCESSFUL
    _assert_each_pledge_charged_exactly_once(campaign, pledges)
    failed.refresh_from_db()
    assert failed.state == Campaign.State.FAILED
    assert set(failed.pledges.values_list("state", flat=True)) == {"released"}
    for pledge in failed_pledges:
        assert payment_intents_of(get_gateway(), pledge.stripe_customer_id) == []


PLEDGES_TO_KILL = 60


def test_killing_the_worker_mid_collection_still_charges_every_pledge_exactly_once(worker_process):
    flush_localstripe(get_gateway())  # a store grown by the rest of the suite makes every call slow
    campaign = factories.LiveCampaignFactory(goal=Decimal("100.00"))
    pledges = [factories.PledgeFactory(campaign=campaign, amount="10.00") for _ in range(PLEDGES_TO_KILL)]
    factories.ended(campaign)
    worker_process.start(concurrency=4)

    close_due_campaigns.delay()
    wait_until(
        lambda: Pledge.objects.filter(campaign=campaign, state=Pledge.State.COLLECTED).count() >= 20,
        timeout=60,
        interval=0.02,
        message="collection under way",
    )
    worker_process.kill()  # SIGKILL to the worker and its pool: messages in flight are lost
    collected_at_kill = Pledge.objects.filter(campaign=campaign, state=Pledge.State.COLLECTED).count()
    assert collected_at_kill < PLEDGES_TO_KILL, "the worker finished before it could be killed"

    worker_process.start(concurrency=4)

    def finished():
        if _all_collected(campaign, PLEDGES_TO_KILL):
            return True
        collection_sweep.delay()  # beat's sweep re-enqueues what the dead worker held
        return False

    wait_until(finished, timeout=240, interval=3, message="collection to finish after the restart")
    assert not Charge.objects.filter(pledge__campaign=campaign).exclude(state=Charge.State.SUCCEEDED).exists()
    _assert_each_pledge_charged_exactly_once(campaign, [Pledge.objects.get(pk=p.pk) for p in pledges])
    assert reconcile(campaign_ids=[campaign.pk]) == []
