"""Thin, idempotent Celery tasks of closing and collection: ids in, services do the work.

Every task may run twice or never (a lost message): the beat sweeps find what is
left and enqueue it again, so nothing depends on one message surviving.
"""

from celery import shared_task

from closing import collection
from closing.selectors import campaigns_due_for_close, pledges_due_for_retry, pledges_left_uncollected
from closing.services import campaign_close
from pledges.models import Pledge
from pledges.payments import ProviderUnavailable

COLLECT_BATCH = 500


@shared_task(acks_late=True)
def close_due_campaigns() -> int:
    """Beat: close every live campaign past its deadline (each at most once)."""
    closed = 0
    for campaign_id in campaigns_due_for_close():
        if campaign_close(campaign_id=campaign_id):
            closed += 1
    return closed


@shared_task(acks_late=True)
def collect_campaign(campaign_id: int) -> int:
    """Fan out one collect_pledge per active pledge of a successful campaign."""
    pledge_ids = Pledge.objects.filter(campaign_id=campaign_id, state=Pledge.State.ACTIVE).values_list("pk", flat=True)
    count = 0
    for pledge_id in pledge_ids.iterator(chunk_size=COLLECT_BATCH):
        collect_pledge.delay(pledge_id)
        count += 1
    return count


@shared_task(
    acks_late=True,
    autoretry_for=(ProviderUnavailable, TimeoutError),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=12,
)
def collect_pledge(pledge_id: int) -> str | None:
    charge = collection.pledge_collect(pledge_id=pledge_id)
    return charge.state if charge else None


@shared_task(acks_late=True)
def collection_sweep() -> dict[str, int]:
    """Beat: re-enqueue collection a lost message left behind, retry errored pledges, drop expired ones."""
    dropped = collection.pledges_drop_errored()
    left = pledges_left_uncollected()
    retry = pledges_due_for_retry()
    for pledge_id in sorted(set(left) | set(retry)):
        collect_pledge.delay(pledge_id)
    return {"requeued": len(left), "retried": len(retry), "dropped": dropped}
