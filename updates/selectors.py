"""Reads of creator updates: who may read them, who receives them, what is left to send."""

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Unsubscription
from campaigns.models import Campaign
from core.mail import TO_SEND
from core.permissions import staff_may
from pledges.models import Pledge
from updates.models import CampaignUpdate, UpdateDelivery


def _backers(campaign_id: int, tier_ids: list[int] | None = None) -> QuerySet[Pledge]:
    pledges = Pledge.objects.filter(campaign_id=campaign_id, state__in=Pledge.BACKER_STATES)
    if tier_ids is not None:
        pledges = pledges.filter(reward_id__in=tier_ids)
    return pledges


def updates_visible_to(campaign: Campaign, user: User | AnonymousUser) -> QuerySet[CampaignUpdate]:
    """Public updates for everyone; backers-only ones for backers (of the chosen tiers), the creator, staff."""
    updates = campaign.updates.prefetch_related("tiers")
    if campaign.creator_id == user.pk or staff_may(user, "updates.view_campaignupdate"):
        return updates
    if not user.is_authenticated:
        return updates.filter(audience=CampaignUpdate.Audience.PUBLIC)
    mine = _backers(campaign.pk).filter(backer=user)
    tiers = list(mine.exclude(reward__isnull=True).values_list("reward_id", flat=True))
    visible = Q(audience=CampaignUpdate.Audience.PUBLIC)
    if mine.exists():
        visible |= Q(audience=CampaignUpdate.Audience.BACKERS) | Q(
            audience=CampaignUpdate.Audience.TIERS, tiers__in=tiers
        )
    return updates.filter(visible).distinct()


def update_recipients(update: CampaignUpdate) -> QuerySet[Any]:
    """User ids the update is e-mailed to: the backers it is meant for, less those who opted out."""
    tier_ids = (
        list(update.tiers.values_list("pk", flat=True)) if update.audience == CampaignUpdate.Audience.TIERS else None
    )
    opted_out = Unsubscription.objects.filter(Q(campaign_id=update.campaign_id) | Q(campaign__isnull=True)).values(
        "user_id"
    )
    return (
        _backers(update.campaign_id, tier_ids)
        .exclude(backer_id__in=opted_out)
        .values_list("backer_id", flat=True)
        .distinct()
        .order_by("backer_id")
    )


def updates_with_unsent_deliveries() -> list[int]:
    """Updates with deliveries still to send; failed ones (refused too often) are not retried."""
    return list(UpdateDelivery.objects.filter(TO_SEND).values_list("update_id", flat=True).distinct())


def updates_without_deliveries(*, older_than: timedelta = timedelta(minutes=1)) -> list[int]:
    """Published updates whose fan-out never ran (its message was lost)."""
    return list(
        CampaignUpdate.objects.filter(
            fanout_finished_at__isnull=True, deliveries__isnull=True, published_at__lte=timezone.now() - older_than
        ).values_list("pk", flat=True)
    )
