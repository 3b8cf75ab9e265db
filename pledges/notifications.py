"""E-mails about a backer's payment, each with a plain-text and an HTML part."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from pledges.models import Pledge


def send_email(*, to: str, template: str, context: dict) -> None:
    context = {**context, "site_url": settings.SITE_URL}
    subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    message.send()


def notify_payment_failed(*, pledge_id: int, first: bool) -> None:
    """Enqueued after the failure is committed; the task sends the e-mail."""
    from pledges.tasks import send_payment_failed_email

    send_payment_failed_email.delay(pledge_id)


def payment_failed_email(pledge: Pledge) -> None:
    send_email(
        to=pledge.backer.email,
        template="payment_failed",
        context={
            "pledge": pledge,
            "campaign": pledge.campaign,
            "amount": pledge.campaign.money(pledge.amount),
            "fix_url": f"{settings.SITE_URL}/api/pledges/{pledge.pk}/payment-method/",
            "deadline": (pledge.errored_at + settings.ERRORED_PLEDGE_GRACE) if pledge.errored_at else None,
        },
    )
