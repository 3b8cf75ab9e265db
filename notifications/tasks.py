from celery import shared_task

from campaigns import updates
from notifications import services


@shared_task(acks_late=True)
def send_notifications() -> int:
    """Send what is unsent; duplicates of this task skip each other's rows."""
    return services.notifications_send()


@shared_task(acks_late=True)
def fan_out_campaign_notification(campaign_id: int, kind: str) -> int:
    created = services.campaign_notification_fan_out(campaign_id=campaign_id, kind=kind)
    send_notifications.delay()
    return created


@shared_task(acks_late=True)
def ending_soon_sweep() -> int:
    """Beat, hourly: campaigns entering their last 48 hours tell their backers and reminder lists."""
    campaigns = services.campaigns_ending_soon()
    for campaign_id in campaigns:
        fan_out_campaign_notification.delay(campaign_id, services.ENDING_SOON)
    return len(campaigns)


@shared_task(acks_late=True)
def creator_digest() -> int:
    """Beat, daily: creators hear about the pledges of the last day."""
    return services.creator_digests()


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
def mail_sweep() -> int:
    """Beat: send anything a lost message or a dead worker left unsent."""
    for update_id in updates.updates_with_unsent_deliveries():
        send_update.delay(update_id)
    for update_id in updates.updates_without_deliveries():
        fan_out_update.delay(update_id)
    return services.notifications_send()
