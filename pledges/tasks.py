"""Thin, idempotent Celery tasks of pledges: ids in, services do the work."""

from celery import shared_task

from pledges.idempotency import idempotency_keys_forget
from pledges.services import pledges_expire_pending, pledges_forget_lapsed_cards


@shared_task(acks_late=True)
def expire_pending_pledges() -> int:
    """Beat: free the stock held by pending pledges whose card was never confirmed."""
    return pledges_expire_pending()


@shared_task(acks_late=True)
def forget_lapsed_cards() -> int:
    """After a request let lapsed holds go: cancel their SetupIntents at the provider."""
    return pledges_forget_lapsed_cards()


@shared_task(acks_late=True)
def forget_idempotency_keys() -> int:
    """Beat, hourly: keys older than a day are forgotten."""
    return idempotency_keys_forget()
