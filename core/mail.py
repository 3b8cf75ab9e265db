"""The platform's one e-mail pipeline: build a message (a plain-text part, an HTML part, a
stable Message-ID) and send unsent rows, for notifications and creator updates alike.

No database transaction is open while the mail backend talks to the network. Each row
is first claimed in a short transaction (row lock, skip_locked): the claim pushes its
``next_attempt_at`` one lease into the future, so a retried or duplicated task skips
it while it is in hand. The message is sent after that commit, and the row is marked
sent in another short statement. A worker killed between the backend accepting a
message and that mark leaves the row unsent until its lease runs out; it is then sent
again with the same Message-ID, which mail providers use to drop the duplicate.

A message the backend refuses (an unknown mailbox, a broken template) is not allowed
to hold up the rest: its error and attempt are recorded, it backs off, and the same
pass goes on with the next row. After ``MAIL_MAX_ATTEMPTS`` refusals it is marked
failed with the last reason and never tried again.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import models, transaction
from django.db.models import Q
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

ERROR_LENGTH = 1000
MAX_RETRY_DELAY = timedelta(days=1)


class OutgoingMail(models.Model):
    """Delivery state of one e-mail row that ``drain`` sends: where it is, and what went wrong."""

    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # Not to be tried before this: a sender's lease while it holds the row, or the back-off
    # after a refusal. Empty: due now.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    # Sends the backend refused (or the message failed to build).
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # Set after MAIL_MAX_ATTEMPTS refusals: given up for good, never retried.
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)

    class Meta:
        abstract = True


# Rows still to be sent (now or after their back-off); the rest were sent or given up.
TO_SEND = Q(sent_at__isnull=True, failed_at__isnull=True)

Mail = TypeVar("Mail", bound=OutgoingMail)


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


def render_email(
    template: str, context: dict[str, Any], *, unsubscribe: str | None, language: str | None = None
) -> tuple[str, str, str]:
    """(subject, text, html) from emails/<template>_subject.txt and .txt; the HTML part wraps the text
    (its links made clickable).

    Written in the recipient's ``language`` (``accounts.selectors.user_language``; the site's,
    LANGUAGE_CODE, if none is given), amounts and dates included, whatever language the page
    the sending thread served last was in.
    """
    with translation.override(language or settings.LANGUAGE_CODE):
        return _render_email(template, context, unsubscribe=unsubscribe)


def _render_email(template: str, context: dict[str, Any], *, unsubscribe: str | None) -> tuple[str, str, str]:
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
    unsent: Callable[[], models.QuerySet[Mail]],
    build: Callable[[Mail], EmailMultiAlternatives | None],
    *,
    limit: int,
) -> int:
    """Send up to ``limit`` rows of ``unsent()`` that are due, each claimed, sent and marked in turn;
    the count sent. One pass tries a row at most once. A backend that cannot be reached at all
    raises before any row is charged an attempt."""
    connection = get_connection()
    sent = 0
    refused: list[int] = []  # due again within this pass only if the back-off is shorter than the pass
    with connection:
        for _ in range(limit):
            row = _claim(unsent, skip=refused)
            if row is None:
                break
            try:
                connection.open()  # a no-op while open; reconnects after a failure closed it
            except Exception:
                _release(row)  # the server, not this message, is at fault
                raise
            try:
                message = build(row)
                if message is not None:
                    message.connection = connection
                    message.send()
            except Exception as error:  # whatever the backend or the template raised: this row's failure
                _record_failure(row, error)
                refused.append(row.pk)
                # A refusal can leave an SMTP session unusable; the next message gets a fresh one.
                connection.close()
                continue
            type(row)._default_manager.filter(pk=row.pk, sent_at__isnull=True).update(
                sent_at=timezone.now(), next_attempt_at=None
            )
            if message is not None:
                sent += 1
    return sent


def _claim(unsent: Callable[[], models.QuerySet[Mail]], *, skip: list[int]) -> Mail | None:
    """Lock the oldest due row no other sender holds and lease it to this one; committed on return."""
    now = timezone.now()
    with transaction.atomic():
        row = (
            unsent()
            .filter(TO_SEND, Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .exclude(pk__in=skip)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
            .first()
        )
        if row is not None:
            row.next_attempt_at = now + settings.MAIL_CLAIM_LEASE
            row.save(update_fields=["next_attempt_at"])
    return row


def _release(row: OutgoingMail) -> None:
    type(row)._default_manager.filter(pk=row.pk, sent_at__isnull=True).update(next_attempt_at=None)


def _record_failure(row: OutgoingMail, error: Exception) -> None:
    now = timezone.now()
    with transaction.atomic():
        row = type(row)._default_manager.select_for_update().get(pk=row.pk)
        row.attempts += 1
        row.last_error = f"{type(error).__name__}: {error}"[:ERROR_LENGTH]
        if row.attempts >= settings.MAIL_MAX_ATTEMPTS:
            row.failed_at = now
            row.next_attempt_at = None
        else:
            row.next_attempt_at = now + retry_delay(row.attempts)
        row.save(update_fields=["attempts", "last_error", "failed_at", "next_attempt_at"])


def retry_delay(attempts: int) -> timedelta:
    """MAIL_RETRY_BACKOFF after the first refusal, doubling after each one, at most a day."""
    backoff: timedelta = settings.MAIL_RETRY_BACKOFF
    delay: timedelta = min(backoff * 2 ** (attempts - 1), MAX_RETRY_DELAY)
    return delay
