"""Two nodes, no shared disk: each runs gunicorn, a Celery worker and beat in a temporary working
directory of its own (MEDIA_ROOT and EXPORT_ROOT pointed there, and found empty at the end),
against one PostgreSQL, one Valkey (a broker database of the test's own) and one S3 endpoint.

- a session started on A works on B (sessions live in the database);
- a picture uploaded through A shows through B (object storage);
- an export asked for through A is built by B's worker (A's worker takes no exports) and
  downloaded through B; B's worker logs the build under A's request id;
- with both beats sweeping every second, a due campaign closes once and its collection is
  enqueued once: each pledge charged once at the provider, reconcile finds nothing;
- each node's /metrics sums its own gunicorn processes (multiprocess mode, a directory per node).
"""

import io
import json
import os
import re
import signal
import subprocess
import sys
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import redis
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils import timezone
from PIL import Image

from accounts.tokens import token_issue
from campaigns.models import Campaign
from devstack.process import free_port, wait_for_port
from pledges.models import Charge, Pledge
from reports.reconcile import reconcile
from tests import factories
from tests.conftest import ROOT, all_queues, wait_until

PASSWORD = "correct horse battery staple"
METRICS_TOKEN = "two-nodes-" + "m" * 24
BROKER_DB = 11  # the nodes' broker and cache: a Redis database of this test's own


class Node:
    def __init__(self, name: str, base: Path, env: dict[str, str], queues: list[str]):
        self.name = name
        self.home = base / name
        self.queues = queues
        for folder in ("media", "exports", "mail", "tmp"):
            (self.home / folder).mkdir(parents=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **env,
            "PYTHONPATH": str(ROOT),
            "MEDIA_ROOT": str(self.home / "media"),
            "EXPORT_ROOT": str(self.home / "exports"),
            "EMAIL_FILE_PATH": str(self.home / "mail"),
            "TMPDIR": str(self.home / "tmp"),
        }
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # gunicorn makes this node's own

    def log(self, what: str) -> Path:
        return self.home / f"{what}.log"

    @contextmanager
    def process(self, what: str, command: list[str]):
        with open(self.log(what), "wb") as out:
            child = subprocess.Popen(
                command, cwd=self.home, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            yield child
        finally:
            # Killed, not shut down gracefully: the test is over and nothing they hold is needed;
            # six warm shutdowns one after the other took a quarter of the test's time.
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait(timeout=10)

    def start(self, stack: ExitStack) -> None:
        python = sys.executable
        gunicorn = [python, "-m", "gunicorn", "config.wsgi", "-c", str(ROOT / "config" / "gunicorn.py")]
        gunicorn += ["--bind", f"127.0.0.1:{self.port}", "--workers", "2", "--threads", "4"]
        stack.enter_context(self.process("web", gunicorn))
        celery = [python, "-m", "celery", "-A", "config"]
        worker = [*celery, "worker", "-Q", ",".join(self.queues), "--concurrency", "2", "--loglevel", "INFO"]
        worker += ["--without-mingle", "--without-gossip", "-n", f"{self.name}-{os.getpid()}@%h"]
        stack.enter_context(self.process("worker", worker))
        beat = [*celery, "beat", "--loglevel", "INFO", "--schedule", str(self.home / "celerybeat-schedule")]
        stack.enter_context(self.process("beat", beat))

    def wait_ready(self) -> None:
        wait_for_port(self.port, timeout=60, what=f"node {self.name}'s gunicorn")
        wait_until(lambda: "ready." in self.log("worker").read_text(), timeout=90, message=f"{self.name}'s worker")
        wait_until(
            lambda: "Sending due task" in self.log("beat").read_text(), timeout=60, message=f"{self.name}'s beat"
        )

    def files_on_disk(self) -> list[Path]:
        return [path for folder in ("media", "exports") for path in (self.home / folder).rglob("*") if path.is_file()]

    def log_records(self, what: str) -> list[dict]:
        records = []
        for line in self.log(what).read_text().splitlines():
            if line.startswith("{"):
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
        return records


@pytest.fixture
def nodes(worker_env, tmp_path):
    base_url = worker_env["REDIS_URL"].rsplit("/", 1)[0]
    broker = f"{base_url}/{BROKER_DB}"
    redis.Redis.from_url(broker).flushdb()
    env = {
        **worker_env,
        "REDIS_URL": broker,
        "LOG_FORMAT": "json",
        "METRICS_TOKEN": METRICS_TOKEN,
        "CLOSE_SWEEP_INTERVAL": "1",
        "DJANGO_DEBUG": "0",
    }
    queues = all_queues()
    node_a = Node("a", tmp_path, env, [queue for queue in queues if queue != "exports"])
    node_b = Node("b", tmp_path, env, queues)
    with ExitStack() as stack:
        for node in (node_a, node_b):
            node.start(stack)
        for node in (node_a, node_b):
            node.wait_ready()
        yield node_a, node_b
    redis.Redis.from_url(broker).flushdb()


def _token_of(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=30)
    assert page.status_code == 200, (url, page.status_code)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def _picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (20, 140, 90)).save(out, format="PNG")
    return out.getvalue()


def _samples(node: Node) -> str:
    response = requests.get(f"{node.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=30)
    assert response.status_code == 200
    return response.text


def _detail_reads(metrics_text: str) -> float:
    found = re.search(
        r'pledgeboard_http_request_duration_seconds_count\{method="GET",route="campaign-detail",status="200"\} (\S+)',
        metrics_text,
    )
    return float(found.group(1)) if found else 0.0


def _task_results(node: Node, task: str) -> list[str]:
    pattern = re.compile(rf"Task {re.escape(task)}\[[^\]]+\] succeeded in [0-9.]+s: (.*)$")
    return [m.group(1) for record in node.log_records("worker") if (m := pattern.search(record.get("message", "")))]


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_two_nodes_share_sessions_pictures_exports_and_close_a_campaign_once(nodes):
    node_a, node_b = nodes
    maya = factories.UserFactory(username="maya-two-nodes", email="maya@example.com")
    # Hashed as the nodes hash (the suite's own fast hasher is not theirs).
    maya.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    maya.save(update_fields=["password"])

    # A session started on A works on B.
    browser = requests.Session()
    token = _token_of(browser, f"{node_a.url}/login/")
    login = browser.post(
        f"{node_a.url}/login/",
        data={"username": maya.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        timeout=30,
    )
    assert login.status_code == 200 and "sessionid" in browser.cookies
    on_b = browser.get(f"{node_b.url}/studio/", timeout=30, allow_redirects=False)
    assert on_b.status_code == 200 and maya.username in on_b.text

    # A picture uploaded through A shows through B.
    deadline = (timezone.now() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    created = browser.post(
        f"{node_a.url}/studio/new/",
        data={
            "title": "Two Node Atlas", "description": "Maps.", "goal": "500.00", "currency": "EUR",
            "deadline": deadline, "funding_model": "all_or_nothing", "image_alt": "A map",
            "csrfmiddlewaretoken": _token_of(browser, f"{node_a.url}/studio/new/"),
        },
        files={"image": ("cover.png", _picture(), "image/png")},
        timeout=30,
        allow_redirects=False,
    )  # fmt: skip
    assert created.status_code == 302, created.text[:500]
    draft = Campaign.objects.get(title="Two Node Atlas")
    picture_url = f"/media/{draft.image.name}"
    assert f'src="{picture_url}"' in browser.get(f"{node_b.url}/campaigns/{draft.slug}/", timeout=30).text
    from_a = requests.get(f"{node_a.url}{picture_url}", timeout=30)
    from_b = requests.get(f"{node_b.url}{picture_url}", timeout=30)
    assert from_a.status_code == from_b.status_code == 200
    assert from_b.headers["Content-Type"] == "image/jpeg" and from_b.content == from_a.content
    assert Image.open(io.BytesIO(from_b.content)).size == (80, 60)

    # An export asked for through A is built by B's worker and downloaded through B.
    campaign = factories.LiveCampaignFactory(creator=maya, goal=Decimal("30.00"))
    pledges = [factories.PledgeFactory(campaign=campaign, amount=amount) for amount in ("10.00", "20.00", "30.00")]
    token = token_issue(user=maya)
    api = {"Authorization": f"Token {token}"}
    asked = requests.get(
        f"{node_a.url}/api/campaigns/{campaign.pk}/backers.csv",
        params={"async": "1"},
        headers={**api, "X-Request-ID": "two-nodes-export"},
        timeout=30,
    )
    assert asked.status_code == 202, asked.text
    assert asked.headers["X-Request-ID"] == "two-nodes-export"
    job = asked.json()["id"]

    def done():
        state = requests.get(f"{node_b.url}/api/exports/{job}/", headers=api, timeout=30).json()["state"]
        return state if state in ("done", "failed") else None

    assert wait_until(done, timeout=90, message="the export") == "done"
    download = requests.get(f"{node_b.url}/api/exports/{job}/download/", headers=api, timeout=30)
    streamed = requests.get(
        f"{node_b.url}/api/campaigns/{campaign.pk}/backers.csv", params={"async": "0"}, headers=api, timeout=30
    )
    assert download.status_code == 200 and download.content == streamed.content
    assert download.content.count(b"\n") == 4  # the header and three backers
    built_by = [
        node.name
        for node in (node_a, node_b)
        for record in node.log_records("worker")
        if record.get("request_id") == "two-nodes-export" and f"export {job} built" in record.get("message", "")
    ]
    assert built_by == ["b"]

    # Each node's metrics add up its own gunicorn processes.
    reads_before = _detail_reads(_samples(node_a)), _detail_reads(_samples(node_b))
    for _ in range(6):
        assert requests.get(f"{node_a.url}/api/campaigns/{campaign.pk}/", timeout=30).status_code == 200
    assert (_detail_reads(_samples(node_a)), _detail_reads(_samples(node_b))) == (
        reads_before[0] + 6,
        reads_before[1],
    )

    # Both beats sweep every second: the campaign closes once, its collection is enqueued once.
    Campaign.objects.filter(pk=campaign.pk).update(deadline=timezone.now() + timedelta(seconds=2))

    def collected():
        return Pledge.objects.filter(campaign=campaign, state=Pledge.State.COLLECTED).count() == len(pledges)

    wait_until(collected, timeout=120, message="the collection")
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SUCCESSFUL and campaign.collected == Decimal("60.00")
    closes = [
        result for node in (node_a, node_b) for result in _task_results(node, "closing.tasks.close_due_campaigns")
    ]
    assert closes.count("1") == 1 and set(closes) <= {"0", "1"}
    assert all(_task_results(node, "closing.tasks.close_due_campaigns") for node in (node_a, node_b))  # both swept

    def fan_outs():
        return [result for node in (node_a, node_b) for result in _task_results(node, "closing.tasks.collect_campaign")]

    # The empty step that ends the fan-out may still be running when the last charge is written.
    wait_until(lambda: "0" in fan_outs(), timeout=30, message="the fan-out's last step")
    assert sorted(fan_outs()) == ["0", "3"]  # one fan-out: its step of three pledges, then the empty step
    assert Charge.objects.filter(pledge__in=pledges).count() == len(pledges)
    assert reconcile(campaign_ids=[campaign.pk]) == []  # one PaymentIntent per pledge at the provider

    # Nothing was ever written to either node's disk.
    assert node_a.files_on_disk() == [] and node_b.files_on_disk() == []
