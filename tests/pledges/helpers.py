"""Building pledges and campaigns at the deadline for the closing and collection tests."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from campaigns.models import Campaign
from pledges.models import Pledge
from pledges.services import pledge_create
from tests import factories


def back(campaign: Campaign, amount: str = "30.00", card: str = factories.CARD_OK, reward=None) -> Pledge:
    return pledge_create(
        backer=factories.UserFactory(),
        campaign_id=campaign.pk,
        amount=Decimal(amount),
        reward_id=reward,
        payment_method_id=factories.payment_method(card),
    )


def end(campaign: Campaign) -> None:
    """Time passes: the deadline is now behind us (the worker process runs on the real clock)."""
    Campaign.objects.filter(pk=campaign.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    campaign.refresh_from_db()
