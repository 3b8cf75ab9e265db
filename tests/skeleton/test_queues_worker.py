"""A deep collection backlog delays neither a close nor an e-mail: real workers on the real
broker, arranged as `make demo` and docker-compose run them."""

import time
from decimal import Decimal

import pytest
from celery import current_app

from campaigns.models import Campaign
from closing.tasks import close_due_campaigns, collect_pledge
from devstack.__main__ import WORKER_QUEUES
from notifications.models import Notification
from tests import factories
from tests.conftest import WorkerProcess, broker_messages, purge_queues, wait_until

pytestmark = pytest.mark.celery

BACKLOG = 10_000  # at the collection worker's pace, much longer than the bound below
PROMPTLY = 15  # seconds


@pytest.fixture
def demo_workers(worker_env, transactional_db, tmp_path):
    """The demo's two workers (default+mail, collection+exports), stopped before the tables are flushed."""
    purge_queues()
    workers = [
        WorkerProcess(worker_env, tmp_path / f"{name}.log", queues=queues.split(","))
        for name, queues in WORKER_QUEUES.items()
    ]
    try:
        for worker in workers:
            worker.start()
        yield workers
    finally:
        for worker in workers:
            worker.stop()
        purge_queues()


def test_a_deep_collection_backlog_does_not_delay_closing_another_campaign_or_its_mail(demo_workers):
    # Collection work for a campaign still live: each message is a cheap no-op for the worker.
    waiting = factories.PledgeFactory(campaign=factories.LiveCampaignFactory(goal=Decimal("100.00")), amount="10.00")
    with current_app.producer_or_acquire() as producer:
        for _ in range(BACKLOG):
            collect_pledge.apply_async((waiting.pk,), producer=producer)
    due = factories.LiveCampaignFactory(goal=Decimal("100.00"))  # nobody backed it: it fails at its deadline
    factories.ended(due)

    sent = time.monotonic()
    close_due_campaigns.delay()
    wait_until(
        lambda: Campaign.objects.get(pk=due.pk).state == Campaign.State.FAILED,
        timeout=PROMPTLY,
        message="the due campaign to close",
    )
    wait_until(
        lambda: Notification.objects.filter(
            kind="campaign_failed", recipient=due.creator, sent_at__isnull=False
        ).exists(),
        timeout=PROMPTLY - (time.monotonic() - sent),
        message="the creator's e-mail",
    )
    # The close and its e-mail did not wait for the collection queue to drain.
    assert len(broker_messages("collection")) > 0
