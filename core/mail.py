"""The platform's one e-mail pipeline: build a message (a plain-text part, an HTML part, a
stable Message-ID) and send unsent rows, for notifications and creator updates alike.

Sending and marking "sent" happen under a row lock in one transaction, so a
retried or duplicated task skips what is sent or in hand. A worker killed after
the backend accepted a message but before the commit leaves that one row unsent;
it is sent again with the same Message-ID, which mail providers use to drop the
duplicate. No other path sends a message twice.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import models, transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone


def build_email(
    *,
    to: str,
    subject: str,
    text: str,
    html: str,
    message_id: str,
    unsubscribe: str | None = None,
) -> EmailMultiAlternatives:
    headers = {"Message-ID": f"<{message_id}@pledgeboard>"}
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[to], headers=headers
    )
    message.attach_alternative(html, "text/html")
    return message


def render_email(template: str, context: dict, *, unsubscribe: str | None) -> tuple[str, str, str]:
    """(subject, text, html) from emails/<template>_subject.txt and .txt; the HTML part wraps the text
    (its links made clickable)."""
    context = {**context, "site_url": settings.SITE_URL, "unsubscribe_url": unsubscribe}
    # Subject and text are plain text: the "text" engine (settings.TEMPLATES) escapes nothing.
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context, using="text").split())
    text = render_to_string(f"emails/{template}.txt", context, using="text")
    html_template = f"emails/{template}.html"
    try:
        html = render_to_string(html_template, context)
    except TemplateDoesNotExist:  # most e-mails have no HTML of their own: the layout shows the text
        html = render_to_string("emails/layout.html", {**context, "subject": subject, "text": text})
    return subject, text, html


def drain(
    unsent: Callable[[], models.QuerySet],
    build: Callable[[models.Model], EmailMultiAlternatives | None],
    *,
    limit: int,
) -> int:
    """Send up to ``limit`` unsent rows, one transaction and one row lock each; the count sent."""
    connection = get_connection()
    sent = 0
    with connection:
        for _ in range(limit):
            with transaction.atomic():
                row = unsent().select_for_update(skip_locked=True, of=("self",)).order_by("pk").first()
                if row is None:
                    break
                message = build(row)
                if message is not None:
                    message.connection = connection
                    message.send()
                    sent += 1
                row.sent_at = timezone.now()
                row.save(update_fields=["sent_at"])
    return sent
