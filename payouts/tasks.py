"""Thin, idempotent Celery tasks of payouts: ids in, services do the work. A lost message is
found again by the beat sweep (``payout_sweep``)."""

from celery import shared_task
from django.utils import timezone

from payouts import services
from payouts.selectors import campaigns_due_for_payout
from pledges.payments import PROVIDER_TASK_RETRIES


@shared_task(**PROVIDER_TASK_RETRIES)
def pay_campaign(campaign_id: int) -> str | None:
    payout = services.campaign_payout(campaign_id=campaign_id)
    return payout.state if payout else None


@shared_task(**PROVIDER_TASK_RETRIES)
def record_charge_fee(charge_id: int) -> bool:
    return services.charge_fee_record(charge_id=charge_id) is not None


@shared_task(acks_late=True)
def payout_sweep() -> int:
    """Beat: every campaign whose payout is due and not settled gets a pay_campaign message."""
    due = campaigns_due_for_payout(now=timezone.now())
    for campaign_id in due:
        pay_campaign.delay(campaign_id)
    return len(due)
