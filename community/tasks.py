"""Thin Celery tasks of the community: ids in, community.services does the work."""

from celery import shared_task

from community import selectors, services


@shared_task(acks_late=True)
def send_community_mail() -> int:
    """Send a batch of unsent community e-mails; re-enqueues itself while a full batch went."""
    sent = services.community_mails_send(limit=services.SEND_BATCH)
    if sent == services.SEND_BATCH:
        send_community_mail.delay()
    return sent


@shared_task(acks_late=True)
def fan_out_launch(campaign_id: int) -> int:
    """A campaign launched: one e-mail row per follower (of it or its creator), then the sender."""
    created = services.launch_mails_fan_out(campaign_id=campaign_id)
    send_community_mail.delay()
    return created


@shared_task(acks_late=True)
def comment_digest() -> int:
    """Beat, daily: creators who chose the digest hear of the last day's comments."""
    return services.comment_digests()


@shared_task(acks_late=True)
def community_mail_sweep() -> int:
    """Beat: finish the fan-outs and sends a lost message or a dead worker left behind."""
    for campaign_id in selectors.launches_left_unmailed():
        fan_out_launch.delay(campaign_id)
    return services.community_mails_send()
