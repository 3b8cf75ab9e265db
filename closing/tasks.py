"""Thin, idempotent Celery tasks of closing and collection: ids in, services do the work.

Every task may run twice or never (a lost message): the beat sweeps find what is
left and enqueue it again, so nothing depends on one message surviving. Each pledge
records when its collect_pledge message went out (`collection_enqueued_at`), so the
sweep resends only messages that are really lost, never one still waiting in the queue.
"""

from collections.abc import Iterable

from celery import current_app, shared_task
from django.conf import settings
from django.utils import timezone

from closing.selectors import (
    campaigns_due_for_close,
    campaigns_with_collection_stalled,
    pledges_due_for_retry,
    pledges_left_uncollected,
)
from closing.services import campaign_close, collection, pledges_claim_for_collection, pledges_mark_collection_enqueued
from pledges.payments import PROVIDER_TASK_RETRIES


@shared_task(acks_late=True)
def close_due_campaigns() -> int:
    """Beat: close every live campaign past its deadline (each at most once)."""
    closed = 0
    for campaign_id in campaigns_due_for_close():
        if campaign_close(campaign_id=campaign_id):
            closed += 1
    return closed


def _send_collect_pledge(pledge_ids: Iterable[int]) -> None:
    """One collect_pledge message per pledge, all through one broker connection."""
    with current_app.producer_or_acquire() as producer:
        for pledge_id in pledge_ids:
            collect_pledge.apply_async((pledge_id,), producer=producer)


def _fan_out_step(campaign_id: int) -> int:
    pledge_ids = pledges_claim_for_collection(campaign_id=campaign_id, limit=settings.COLLECTION_CHUNK)
    _send_collect_pledge(pledge_ids)
    if pledge_ids:
        # The rest follows once the workers reach the back of this chunk: a campaign never
        # holds more than a chunk of the collection queue, and campaigns collecting at the
        # same time take turns chunk by chunk instead of one waiting hours for another.
        # (Sent after any chunk, even a short one: a pledge locked elsewhere was skipped.)
        collect_campaign.delay(campaign_id)
    return len(pledge_ids)


@shared_task(acks_late=True)
def collect_campaign(campaign_id: int) -> int:
    """Send collect_pledge for the next COLLECTION_CHUNK active pledges of a successful
    campaign not sent yet, then this task again for the rest; it stops when none is left."""
    return _fan_out_step(campaign_id)


@shared_task(**PROVIDER_TASK_RETRIES)
def collect_pledge(pledge_id: int) -> str | None:
    charge = collection.pledge_collect(pledge_id=pledge_id)
    return charge.state if charge else None


@shared_task(acks_late=True)
def collection_sweep() -> dict[str, int]:
    """Beat: resend collection a lost message left behind, retry errored pledges, drop expired ones."""
    now = timezone.now()
    dropped = collection.pledges_drop_errored(now=now)
    left = pledges_left_uncollected(now=now)
    retry = pledges_due_for_retry(now=now)
    pledge_ids = sorted(set(left) | set(retry))
    pledges_mark_collection_enqueued(pledge_ids=pledge_ids, now=now)
    _send_collect_pledge(pledge_ids)
    stalled = campaigns_with_collection_stalled(now=now)
    for campaign_id in stalled:
        _fan_out_step(campaign_id)
    return {"requeued": len(left), "retried": len(retry), "dropped": dropped, "restarted": len(stalled)}
