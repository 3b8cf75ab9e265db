"""Closing campaigns: at the deadline (or when canceled) a campaign changes state once and its
pledges are released or handed to collection. The orchestration of campaigns, rewards and
pledges lives here, so none of them needs to know about the others' endings."""

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from closing.signals import campaign_closed
from core.errors import Conflict
from core.hotcache import invalidate_campaign
from core.queue import enqueue_on_commit
from core.text import in_sentence
from pledges.models import Pledge
from pledges.services import pledges_release_for_campaign, pledges_release_unconfirmed


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, now: datetime | None = None) -> Campaign:
    """Cancel a draft or live campaign; every pledge is released and no card is charged."""
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state not in (Campaign.State.DRAFT, Campaign.State.LIVE):
        raise Conflict(
            _("A %(state)s campaign cannot be canceled.") % {"state": in_sentence(campaign.get_state_display())},
            code="campaign_closed",
        )
    campaign.state = Campaign.State.CANCELED
    campaign.canceled_at = now
    campaign.save(update_fields=["state", "canceled_at", "updated_at"])
    pledges_release_for_campaign(campaign=campaign, now=now)
    invalidate_campaign(campaign.pk)
    return campaign


@transaction.atomic
def campaign_close(*, campaign_id: int, now: datetime | None = None) -> Campaign | None:
    """Close a live campaign past its deadline, once: successful (collection starts) or failed.

    The row lock makes a second sweep, or a second worker, wait and then find the
    campaign closed already; it returns None and changes nothing.
    """
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    # A live campaign has a deadline (campaign_launch checks it).
    if campaign is None or campaign.state != Campaign.State.LIVE or cast(datetime, campaign.deadline) > now:
        return None
    campaign.closed_at = now
    # A pledge whose card was never confirmed cannot be charged: it lapses either way.
    pledges_release_unconfirmed(campaign=campaign, now=now)
    successful = campaign.reached_its_goal
    if successful:
        campaign.state = Campaign.State.SUCCESSFUL
        enqueue_on_commit("closing.tasks.collect_campaign", campaign.pk)
    else:
        campaign.state = Campaign.State.FAILED
        pledges_release_for_campaign(campaign=campaign, now=now)
    campaign.save(update_fields=["state", "closed_at", "updated_at"])
    invalidate_campaign(campaign.pk)
    campaign_closed.send(sender=Campaign, campaign_id=campaign.pk, successful=successful)
    return campaign


@transaction.atomic
def campaign_close_now(*, campaign_id: int, now: datetime | None = None) -> Campaign | None:
    """Operators: end a live campaign at once, as if its deadline were now."""
    now = now or timezone.now()
    Campaign.objects.filter(pk=campaign_id, state=Campaign.State.LIVE, deadline__gt=now).update(deadline=now)
    return campaign_close(campaign_id=campaign_id, now=now)


# --- Collection bookkeeping: which pledges have a collect_pledge message out ----------
# The caller sends the messages once these commit: a crash in between leaves pledges
# marked but unsent, and the sweeper sends them after COLLECTION_LOST_AFTER.

MARK_BATCH = 1000


@transaction.atomic
def pledges_claim_for_collection(*, campaign_id: int, limit: int, now: datetime | None = None) -> list[int]:
    """The next `limit` active pledges of a successful campaign never sent to collection,
    marked sent now (one UPDATE). Rows another fan-out holds are skipped, so two copies
    of the fan-out take different pledges, never the same ones twice."""
    now = now or timezone.now()
    if not Campaign.objects.filter(pk=campaign_id, state=Campaign.State.SUCCESSFUL).exists():
        return []
    pledge_ids = list(
        Pledge.objects.select_for_update(skip_locked=True)
        .filter(campaign_id=campaign_id, state=Pledge.State.ACTIVE, collection_enqueued_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    Pledge.objects.filter(pk__in=pledge_ids).update(collection_enqueued_at=now)
    return pledge_ids


@transaction.atomic
def pledges_mark_collection_enqueued(*, pledge_ids: Sequence[int], now: datetime | None = None) -> None:
    """Record that collect_pledge messages for these pledges go out now (an UPDATE per batch)."""
    now = now or timezone.now()
    for start in range(0, len(pledge_ids), MARK_BATCH):
        Pledge.objects.filter(pk__in=pledge_ids[start : start + MARK_BATCH]).update(collection_enqueued_at=now)
