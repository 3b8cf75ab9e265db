"""An update's e-mails through a real worker: duplicated tasks and a killed worker."""

from collections import Counter

import pytest

from tests import factories
from tests.conftest import wait_until
from tests.support.mail import messages_in
from updates.models import CampaignUpdate, UpdateDelivery
from updates.services import update_publish
from updates.tasks import fan_out_update, send_update, update_mail_sweep

pytestmark = pytest.mark.celery


def _messages_about(mail_dir, update):
    subject = f"Update #{update.number}: {update.title}"
    return [m for m in messages_in(mail_dir) if subject in m["Subject"]]


def _finished(update):
    return CampaignUpdate.objects.filter(pk=update.pk, fanout_finished_at__isnull=False).exists()


def test_an_update_to_n_backers_is_n_messages_even_when_its_tasks_run_twice(celery_worker, worker_mail_dir):
    campaign = factories.LiveCampaignFactory()
    backers = factories.bulk_backers(campaign, 40, prefix="twice")
    stranger = factories.UserFactory(username="twice-stranger")

    update = update_publish(
        campaign=campaign, author=campaign.creator, title="Mixing has begun", body="For backers", audience="backers"
    )
    fan_out_update.delay(update.pk)  # a duplicated message
    send_update.delay(update.pk)
    send_update.delay(update.pk)

    wait_until(lambda: _finished(update), timeout=60, message="the update to be sent to everyone")
    send_update.delay(update.pk)  # late duplicates after the end change nothing either
    fan_out_update.delay(update.pk)
    wait_until(lambda: not UpdateDelivery.objects.filter(update=update, sent_at__isnull=True).exists())

    messages = _messages_about(worker_mail_dir, update)
    recipients = Counter(m["To"] for m in messages)
    assert recipients == Counter({backer.email: 1 for backer in backers})
    assert stranger.email not in recipients
    assert UpdateDelivery.objects.filter(update=update).count() == 40


def test_a_worker_killed_half_way_leaves_every_backer_with_the_update_once(celery_worker, worker_mail_dir):
    campaign = factories.LiveCampaignFactory()
    backers = factories.bulk_backers(campaign, 400, prefix="killed")
    update = update_publish(campaign=campaign, author=campaign.creator, title="Tour dates", body="Berlin first")

    wait_until(
        lambda: UpdateDelivery.objects.filter(update=update, sent_at__isnull=False).count() >= 60,
        timeout=60,
        interval=0.02,
        message="sending under way",
    )
    celery_worker.kill()
    sent_before_restart = UpdateDelivery.objects.filter(update=update, sent_at__isnull=False).count()
    assert sent_before_restart < 400, "the worker finished before it could be killed"
    celery_worker.start()

    def finished():
        if _finished(update):
            return True
        update_mail_sweep.delay()  # beat's sweep picks up what the dead worker held
        return False

    wait_until(finished, timeout=120, interval=2, message="the update to reach everyone after the restart")

    messages = _messages_about(worker_mail_dir, update)
    per_recipient = Counter(m["To"] for m in messages)
    assert set(per_recipient) == {backer.email for backer in backers}
    # Every recipient has it; a message the backend took in the instant before the kill, whose
    # row was not yet marked, is resent with its Message-ID so providers drop the copy.
    assert len({m["Message-ID"] for m in messages}) == 400
    assert sum(per_recipient.values()) - 400 <= 2
