"""Thin Celery tasks of creator updates: ids in, updates.services does the work."""

from celery import shared_task

from updates import selectors
from updates import services as updates


@shared_task(acks_late=True)
def fan_out_update(update_id: int) -> int:
    """A published update: one Delivery row per recipient, then the sending tasks."""
    created = updates.update_deliveries_create(update_id=update_id)
    for _ in range(updates.SENDERS_PER_UPDATE):
        send_update.delay(update_id)
    return created


@shared_task(acks_late=True)
def send_update(update_id: int) -> int:
    """Send a batch of an update's deliveries; re-enqueues itself while any are left."""
    sent = updates.update_deliveries_send(update_id=update_id, limit=updates.SEND_BATCH)
    if sent == updates.SEND_BATCH:
        send_update.delay(update_id)
    return sent


@shared_task(acks_late=True)
def update_mail_sweep() -> int:
    """Beat: finish the fan-outs and sends a lost message or a dead worker left behind."""
    unsent = selectors.updates_with_unsent_deliveries()
    for update_id in unsent:
        send_update.delay(update_id)
    for update_id in selectors.updates_without_deliveries():
        fan_out_update.delay(update_id)
    return len(unsent)
