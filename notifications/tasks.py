from celery import shared_task

from notifications import selectors, services


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
    campaigns = selectors.campaigns_ending_soon()
    for campaign_id in campaigns:
        fan_out_campaign_notification.delay(campaign_id, services.ENDING_SOON)
    return len(campaigns)


@shared_task(acks_late=True)
def creator_digest() -> int:
    """Beat, daily: creators hear about the pledges of the last day."""
    return services.creator_digests()


@shared_task(acks_late=True)
def mail_sweep() -> int:
    """Beat: send any notification a lost message or a dead worker left unsent."""
    return services.notifications_send()
