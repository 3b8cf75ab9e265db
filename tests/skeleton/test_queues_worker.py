"""A deep collection backlog delays neither a close nor an e-mail: real workers on the real
broker, arranged as production runs them (processes.toml)."""

import time
from decimal import Decimal

import pytest
from celery import current_app

from campaigns.models import Campaign
from closing.tasks import close_due_campaigns, collect_pledge
from devstack.processes import workers
from notifications.models import Notification
from tests import factories
from tests.conftest import WorkerProcess, broker_messages, purge_queues, wait_until

pytestmark = pytest.mark.celery

# At the collection worker's pace (about 160 no-op messages a second with two threads on a quiet
# 2-core machine), 25 s of work: longer than the bound below. Filling it costs about 1 ms a message,
# many times that on a busy machine; 10,000 took a minute and more of a whole run.
BACKLOG = 4_000
PROMPTLY = 15  # seconds
# The collection worker as defined (its queues, thread pool and prefetch) but with two threads:
# 48 would drain the no-op messages before the close is done, and the test would prove nothing.
COLLECTION_THREADS = 2


@pytest.fixture
def demo_workers(worker_env, transactional_db, tmp_path):
    """Production's workers (default+mail, collection+exports) as processes.toml defines them,
    killed before the tables are flushed (nothing they still hold is needed then)."""
    purge_queues()
    started = [WorkerProcess(worker_env, tmp_path / f"{name}.log", production=w) for name, w in workers().items()]
    try:
        for worker in started:
            worker.start(concurrency=COLLECTION_THREADS if "collection" in worker.production.queues else None)
        yield started
    finally:
        for worker in started:
            worker.kill()
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
