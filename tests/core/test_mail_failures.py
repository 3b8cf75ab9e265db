"""A message the mail backend refuses is retried a bounded number of times, then failed,
and never holds up the messages behind it; nothing is sent inside a database transaction."""

import smtplib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection

from notifications.models import Notification
from notifications.services import CAMPAIGN_FUNDED, notifications_send, notify
from notifications.tasks import mail_sweep
from tests import factories
from updates.models import CampaignUpdate, UpdateDelivery
from updates.selectors import updates_with_unsent_deliveries
from updates.services import update_deliveries_create, update_deliveries_send, update_publish
from updates.tasks import update_mail_sweep

POISONED = "poisoned@example.com"
REFUSAL = (550, b"5.1.1 <poisoned@example.com>: mailbox unavailable")
START = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)

refused: list[str] = []  # every address RefusingBackend turned away, in order
atomic_during_send: list[bool] = []  # connection.in_atomic_block each time a message was sent


class RefusingBackend(LocmemBackend):
    """Delivers to mail.outbox like Django's test backend, but refuses POISONED the way an SMTP
    server does; records whether a database transaction was open while it was sending."""

    def send_messages(self, messages):
        atomic_during_send.append(connection.in_atomic_block)
        for message in messages:
            if POISONED in message.recipients():
                refused.append(POISONED)
                raise smtplib.SMTPRecipientsRefused({POISONED: REFUSAL})
        return super().send_messages(messages)


@pytest.fixture(autouse=True)
def refusing_backend(settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    settings.MAIL_MAX_ATTEMPTS = 3
    settings.MAIL_RETRY_BACKOFF = timedelta(minutes=1)
    refused.clear()
    atomic_during_send.clear()
    mail.outbox.clear()


def _campaign_funded_for(users, campaign) -> list[Notification]:
    for user in users:
        notify(recipient_id=user.pk, kind=CAMPAIGN_FUNDED, key=f"test:{user.pk}", campaign_id=campaign.pk)
    return list(Notification.objects.filter(key__startswith="test:").order_by("pk"))


@pytest.mark.django_db
def test_a_refused_message_does_not_stop_the_ones_behind_it_and_fails_after_the_last_attempt():
    with time_machine.travel(START, tick=False) as clock:
        campaign = factories.LiveCampaignFactory()
        poisoned = factories.UserFactory(username="poisoned", email=POISONED)
        others = [factories.UserFactory(username=f"fine{i}") for i in range(3)]
        poisoned_row, *other_rows = _campaign_funded_for([poisoned, *others], campaign)

        # The poisoned row is first in line; everyone else still gets the e-mail in this same pass.
        assert notifications_send() == 3
        assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in others)
        assert all(row.sent_at == START for row in Notification.objects.filter(pk__in=[r.pk for r in other_rows]))
        poisoned_row.refresh_from_db()
        assert (poisoned_row.attempts, poisoned_row.sent_at, poisoned_row.failed_at) == (1, None, None)
        assert "SMTPRecipientsRefused" in poisoned_row.last_error
        assert "mailbox unavailable" in poisoned_row.last_error
        assert poisoned_row.next_attempt_at == START + timedelta(minutes=1)

        # Backing off: a pass before the retry time leaves it alone.
        assert notifications_send() == 0
        assert refused == [POISONED]

        # Second try after 1 minute, third (the last of MAIL_MAX_ATTEMPTS = 3) after 2 more.
        clock.move_to(START + timedelta(minutes=1))
        assert notifications_send() == 0
        poisoned_row.refresh_from_db()
        assert (poisoned_row.attempts, poisoned_row.failed_at) == (2, None)
        assert poisoned_row.next_attempt_at == START + timedelta(minutes=3)
        clock.move_to(START + timedelta(minutes=3))
        assert notifications_send() == 0
        poisoned_row.refresh_from_db()
        assert refused == [POISONED] * 3
        assert poisoned_row.attempts == 3
        assert poisoned_row.failed_at == START + timedelta(minutes=3)
        assert poisoned_row.sent_at is None
        assert "mailbox unavailable" in poisoned_row.last_error

        # Failed for good: neither later passes nor beat's sweep try it again.
        clock.move_to(START + timedelta(days=2))
        assert notifications_send() == 0
        assert mail_sweep() == 0
        assert refused == [POISONED] * 3
        assert len(mail.outbox) == 3


@pytest.mark.django_db
def test_a_refused_update_delivery_is_failed_and_the_sweep_leaves_it_alone():
    with time_machine.travel(START, tick=False) as clock:
        campaign = factories.LiveCampaignFactory()
        backers = factories.bulk_backers(campaign, 4, prefix="upd")
        poisoned = backers[0]
        poisoned.email = POISONED
        poisoned.save(update_fields=["email"])
        update = update_publish(campaign=campaign, author=campaign.creator, title="Pressing", body="Vinyl news")
        assert update_deliveries_create(update_id=update.pk) == 4

        assert update_deliveries_send(update_id=update.pk) == 3
        assert sorted(m.to[0] for m in mail.outbox) == sorted(b.email for b in backers[1:])
        for minutes in (1, 3):
            clock.move_to(START + timedelta(minutes=minutes))
            assert update_deliveries_send(update_id=update.pk) == 0

        delivery = UpdateDelivery.objects.get(update=update, recipient=poisoned)
        assert (delivery.attempts, delivery.sent_at) == (3, None)
        assert delivery.failed_at == START + timedelta(minutes=3)
        assert "SMTPRecipientsRefused" in delivery.last_error
        # Every recipient was handled: the fan-out is finished and the sweep has nothing to resend.
        assert CampaignUpdate.objects.get(pk=update.pk).fanout_finished_at == START + timedelta(minutes=3)
        assert updates_with_unsent_deliveries() == []
        assert update_mail_sweep() == 0
        assert refused == [POISONED] * 3


@pytest.mark.django_db(transaction=True)
def test_no_database_transaction_is_open_while_the_backend_sends():
    campaign = factories.LiveCampaignFactory()
    users = [factories.UserFactory(username=f"plain{i}") for i in range(2)]
    _campaign_funded_for(users, campaign)

    assert notifications_send() == 2
    assert atomic_during_send == [False, False]


class UnreachableBackend(LocmemBackend):
    """A mail server that cannot be reached: the connection itself fails, no message is at fault."""

    def open(self):
        raise ConnectionRefusedError(111, "Connection refused")


@pytest.mark.django_db
def test_an_unreachable_mail_server_charges_no_message_an_attempt(settings):
    campaign = factories.LiveCampaignFactory()
    _campaign_funded_for([factories.UserFactory(username="waiting")], campaign)
    settings.EMAIL_BACKEND = f"{__name__}.UnreachableBackend"

    with pytest.raises(ConnectionRefusedError):
        notifications_send()

    row = Notification.objects.get(key__startswith="test:")
    assert (row.attempts, row.last_error, row.sent_at, row.failed_at, row.next_attempt_at) == (0, "", None, None, None)


class DroppingBackend(RefusingBackend):
    """Refuses POISONED, and the server is gone by the time the sender reconnects."""

    def open(self):
        if refused:
            raise ConnectionRefusedError(111, "Connection refused")
        return super().open()


@pytest.mark.django_db
def test_a_server_lost_mid_pass_stops_the_pass_without_charging_the_next_message(settings):
    settings.EMAIL_BACKEND = f"{__name__}.DroppingBackend"
    campaign = factories.LiveCampaignFactory()
    poisoned = factories.UserFactory(username="poisoned", email=POISONED)
    poisoned_row, next_row = _campaign_funded_for([poisoned, factories.UserFactory(username="next")], campaign)

    with pytest.raises(ConnectionRefusedError):
        notifications_send()

    poisoned_row.refresh_from_db()
    next_row.refresh_from_db()
    assert poisoned_row.attempts == 1
    # Released, not charged: the next pass sends it as soon as the server is back.
    assert (next_row.attempts, next_row.last_error, next_row.next_attempt_at, next_row.sent_at) == (0, "", None, None)
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    assert notifications_send() == 1
    assert [m.to for m in mail.outbox] == [[next_row.recipient.email]]


@pytest.mark.django_db
def test_staff_find_the_failed_messages_with_their_reason_in_the_admin(settings, admin_client):
    settings.MAIL_MAX_ATTEMPTS = 1
    campaign = factories.LiveCampaignFactory()
    poisoned = factories.UserFactory(username="poisoned", email=POISONED)
    poisoned_row, _ = _campaign_funded_for([poisoned, factories.UserFactory(username="fine")], campaign)
    notifications_send()

    page = admin_client.get("/admin/notifications/notification/", {"failed_at__isempty": "0"})

    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [poisoned_row]
    assert "mailbox unavailable" in page.text
