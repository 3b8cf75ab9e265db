"""The payout worker killed between the provider's answer and the database write: Celery
redelivers the message (acks_late, reject on worker lost), the next process finds the transfer
by its key at the provider and records it. One transfer, and reconcile finds no difference."""

import time
from decimal import Decimal

import pytest

from closing.services import pledge_collect
from payouts.gateway import get_connect_gateway
from payouts.models import LedgerEntry, Payout
from payouts.tasks import pay_campaign
from reports.reconcile import reconcile
from tests import factories
from tests.conftest import WorkerProcess
from tests.support.payouts import onboard, transfers_at_provider

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


class CrashingWorker(WorkerProcess):
    def command(self, concurrency):
        command = super().command(concurrency)
        command[command.index("-A") + 1] = "tests.support.payout_crash"
        return command


def test_a_worker_killed_after_the_transfer_never_transfers_twice(worker_env, tmp_path, settings):
    from config.celery_app import app

    settings.PAYOUT_DELAY = settings.PAYOUT_DELAY.__class__(0)
    marker = tmp_path / "crashed"
    env = {**worker_env, "PAYOUT_DELAY": "0", "PAYOUT_CRASH_MARKER": str(marker)}
    creator = factories.UserFactory(username="amanda")
    onboard(creator)
    campaign = factories.LiveCampaignFactory(creator=creator, goal=Decimal("10.00"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="40.00")
    factories.closed(campaign)
    pledge_collect(pledge_id=pledge.pk)

    app.control.purge()
    worker = CrashingWorker(env, tmp_path / "worker.log")
    worker.start(concurrency=1)
    try:
        pay_campaign.delay(campaign.pk)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not Payout.objects.filter(campaign=campaign, state="sent").exists():
            time.sleep(0.5)
    finally:
        worker.stop()

    assert marker.exists(), "the worker was never killed"
    payout = Payout.objects.get(campaign=campaign)
    assert (payout.state, payout.amount) == (Payout.State.SENT, Decimal("36.54"))
    [transfer] = transfers_at_provider(get_connect_gateway(), campaign)
    assert transfer["id"] == payout.provider_id
    assert LedgerEntry.objects.filter(campaign=campaign, kind=LedgerEntry.Kind.TRANSFER).count() == 1
    assert reconcile(campaign_ids=[campaign.pk]) == []
