"""Thin Celery tasks of fulfilment: ids in, fulfilment.services does the work."""

from celery import shared_task

from core.mail import TO_SEND
from fulfilment import services
from fulfilment.models import FulfilmentMail


@shared_task(acks_late=True)
def fan_out_survey(survey_id: int) -> int:
    """A sent survey: one invitation row per collected pledge, then the senders."""
    created = services.survey_mails_create(survey_id=survey_id)
    for _ in range(services.SENDERS):
        send_fulfilment_mail.delay()
    return created


@shared_task(acks_late=True)
def send_fulfilment_mail() -> int:
    """Send a batch of unsent fulfilment e-mails; re-enqueues itself while any are left."""
    sent = services.fulfilment_mails_send(limit=services.SEND_BATCH)
    if sent == services.SEND_BATCH:
        send_fulfilment_mail.delay()
    return sent


@shared_task(acks_late=True)
def survey_reminder_sweep() -> int:
    """Beat: write the reminders due (SURVEY_REMINDER_DAYS after sending) and send them."""
    return services.survey_reminders_due()


@shared_task(acks_late=True)
def fulfilment_mail_sweep() -> int:
    """Beat: finish the fan-outs and sends a lost message or a dead worker left behind."""
    services.surveys_without_mails_fan_out()
    if FulfilmentMail.objects.filter(TO_SEND).exists():
        return services.fulfilment_mails_send(limit=services.SEND_BATCH)
    return 0
