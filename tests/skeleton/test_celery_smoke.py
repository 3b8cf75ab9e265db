"""A real task through the real broker to a real worker process, seen in the database."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from pledges.models import Pledge
from pledges.tasks import expire_pending_pledges
from rewards.models import RewardTier
from tests import factories
from tests.conftest import wait_until


def test_worker_expires_a_pending_pledge_and_frees_its_reward(celery_worker):
    campaign = factories.LiveCampaignFactory(rewards=[{"title": "Vinyl", "minimum": Decimal("25"), "limit": 1}])
    reward = campaign.rewards.get()
    pledge = factories.PledgeFactory(
        campaign=campaign, amount=Decimal("25"), reward=reward, card=None, now=timezone.now() - timedelta(hours=2)
    )
    assert pledge.state == Pledge.State.PENDING
    assert RewardTier.objects.get(pk=reward.pk).remaining == 0

    expire_pending_pledges.delay()

    wait_until(
        lambda: Pledge.objects.get(pk=pledge.pk).state == Pledge.State.CANCELED,
        message="the worker to expire the pledge",
    )
    pledge.refresh_from_db()
    assert pledge.end_reason == Pledge.EndReason.EXPIRED
    assert RewardTier.objects.get(pk=reward.pk).remaining == 1
