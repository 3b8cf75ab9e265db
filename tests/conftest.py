"""Fixtures for the suite: real PostgreSQL, Valkey, localstripe and Celery worker.

`make test` starts the services (devstack) and exports their URLs; nothing here
stands in for them.
"""

import base64
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

from tests.parallel import isolate_this_worker, prepare_template_database, use_template_database

# Before Django reads its settings (pyproject.toml names no settings module, so pytest-django
# leaves this to us): under xdist this process gets a Redis database and a localstripe of its own.
isolate_this_worker()
_SETTINGS_NAMED_HERE = "DJANGO_SETTINGS_MODULE" not in os.environ
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()
if _SETTINGS_NAMED_HERE:
    # Not inherited by the xdist workers started next: pytest-django would load the settings in
    # each before this module could isolate it. (Our subprocesses name their settings themselves.)
    del os.environ["DJANGO_SETTINGS_MODULE"]

import pytest  # noqa: E402
import redis  # noqa: E402
import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.utils import timezone, translation  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from devstack.processes import Worker, celery_worker_command, worker_command  # noqa: E402
from tests import factories  # noqa: E402
from tests.support import once  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


# The order xdist hands modules out in (`--dist loadfile`: a module is the unit a process takes),
# from the per-module times of a whole run (`make test` prints the 20 slowest tests).
# First, modules that mostly wait on the clock (the provider budget's seconds, a campaign's
# deadline, a server's timeout) alternate with modules that keep more than one core busy (a
# browser, a worker process): a waiting module leaves its core to the other processes. Alone at the
# end of a run, the rate-limit module once left a core idle for 25 s. The order was measured with
# two processes and kept for three.
MODULES_THAT_WAIT_BESIDE_MANY_CORES = (
    "web/test_browser_a11y.py",
    "pledges/test_ratelimit.py",
    "web/test_browser_rewards_reach_backers.py",
    "closing/test_collection_at_provider_limits.py",
    "web/test_browser.py",
    "demo/test_simulate_campaign.py",
    "web/test_browser_walk.py",
    "pledges/test_gateway.py",
    "closing/test_collection_worker.py",
    "devstack/test_s3_server.py",
    "updates/test_updates_worker.py",
    "core/test_redis_client.py",
    "web/test_browser_community.py",
    "devstack/test_localstripe_limits.py",
)
# Then the other long modules, longest first, so that short ones fill the gaps at the end instead
# of one process finishing a long module alone while the others wait.
LONGEST_MODULES = (
    "architecture/test_migrations.py",
    "fuzz/test_schema.py",
    "faults/test_database_restart.py",
    "skeleton/test_production_settings.py",
    "faults/test_two_nodes.py",
    "faults/test_connection_pool.py",
    "campaigns/test_markdown_stored.py",
    "skeleton/test_queues_worker.py",
    "reports/test_exports.py",
    "demo/test_load_demo.py",
    "pledges/test_lock_order.py",
    "faults/test_broker_outage.py",
    "reports/test_memory.py",
    "core/test_sentry.py",
    "core/test_request_id.py",
)


def pytest_collection_modifyitems(items):
    """Modules in the order above, then the other modules with browser or worker-process tests,
    then the rest, each group in its collection order."""
    tests = Path(__file__).resolve().parent
    first = MODULES_THAT_WAIT_BESIDE_MANY_CORES + LONGEST_MODULES
    rank = {tests / module: place for place, module in enumerate(first)}
    assert len(rank) == len(first), "a module is listed twice"
    assert all(path.exists() for path in rank), "a listed module is not there (renamed?)"
    long_modules = {
        item.path for item in items if item.get_closest_marker("browser") or item.get_closest_marker("celery")
    }
    items.sort(key=lambda item: rank.get(item.path, len(rank) + (item.path not in long_modules)))


@pytest.hookimpl(tryfirst=True)  # xdist starts the workers in its own, trylast
def pytest_sessionstart(session):
    prepare_template_database(session.config)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """TEST_DB_SUFFIX gives a run its own test database (with its own REDIS_URL db), so two
    pytest runs on one machine do not flush each other's tables. Under xdist a new test database
    is copied from the template database (tests/parallel.py)."""
    use_template_database()
    suffix = os.environ.get("TEST_DB_SUFFIX")
    if suffix:
        from pytest_django.fixtures import _set_suffix_to_test_databases

        _set_suffix_to_test_databases(suffix)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 costs ~0.2 s per user; hundreds of backers are built per test run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _views_bound_to_the_real_throttles():
    """DRF gives each view its throttle classes when its module is first imported: import them all
    now, with the real settings, so that no test's settings decide them for the whole session."""
    from django.urls import get_resolver

    assert get_resolver().url_patterns


@pytest.fixture(autouse=True)
def _no_throttling(settings, request):
    """Throttles count per client in Redis; only the throttling tests keep them on (a rate of
    None lets every request through without asking Redis).

    The throttles count in fixed windows (core/throttling.py): hits straddling a window's edge
    count in two windows. So a throttling test starts away from the edge of a minute (and so of
    an hour): a run once sent the first of five guesses 5 ms before a minute's end, and none of
    them was refused."""
    if "throttling" in request.keywords:
        left = 60 - time.time() % 60
        if left < 3:
            time.sleep(left + 0.05)
    else:
        rest = dict(settings.REST_FRAMEWORK)
        rest["DEFAULT_THROTTLE_CLASSES"] = []
        rest["DEFAULT_THROTTLE_RATES"] = {"anon": None, "user": None, "pledge": None}
        settings.REST_FRAMEWORK = rest
        # Account e-mails are limited per client too: the whole suite is one client (127.0.0.1).
        settings.ACCOUNT_MAILS_PER_CLIENT = settings.ACCOUNT_MAILS_PER_ADDRESS = 1_000_000
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _mfa_not_required(settings, request):
    """Production requires two-factor sign-in of staff and of creators at launch (both on by
    default); tests about something else sign staff in with force_login and launch campaigns from
    factories, so they run without the requirement. The tests marked ``mfa`` keep production's
    settings (tests/accounts/test_mfa*.py; tests.factories.enrol_mfa gives a user a device)."""
    if "mfa" not in request.keywords:
        settings.MFA_REQUIRED_FOR_STAFF = False
        settings.MFA_REQUIRED_FOR_CREATORS = False


@pytest.fixture(autouse=True)
def _payouts_not_required(settings, request):
    """Production launches only campaigns whose creator can be paid (PAYOUTS_REQUIRED_TO_LAUNCH,
    on by default); tests about something else launch from factories without a payout account.
    The tests marked ``payouts_required`` keep production's setting."""
    if "payouts_required" not in request.keywords:
        settings.PAYOUTS_REQUIRED_TO_LAUNCH = False


@pytest.fixture(autouse=True)
def _review_not_required(settings, request):
    """Production reviews campaigns before launch (CAMPAIGN_REVIEW_REQUIRED, on by default); tests
    about something else launch from factories straight away. The tests marked ``review_required``
    keep production's setting (tests/campaigns/test_review.py)."""
    if "review_required" not in request.keywords:
        settings.CAMPAIGN_REVIEW_REQUIRED = False


@pytest.fixture(autouse=True)
def _empty_localstripe(request):
    """Each test starts with localstripe's store empty. Its answers embed lists built by scanning
    the whole store: 6 ms a charge when fresh, 70 ms after the rest of the suite, and lookups by
    idempotency key scan every PaymentIntent. Nothing a test finds refers to an earlier test's
    objects: its database rows are gone too. (Only ever a local emulator; never Stripe itself.)
    A module whose data is built once goes back to the store that data left instead (tests/support/once.py)."""
    if once.MARKER in request.keywords:
        once.provider_back_to_the_snapshot()
        return
    base = settings.STRIPE_API_BASE
    if base and urlsplit(base).hostname in ("127.0.0.1", "localhost"):
        requests.delete(f"{base.rstrip('/')}/_config/data", timeout=10).raise_for_status()


@pytest.fixture(autouse=True)
def _default_language():
    """A request with Accept-Language activates its language for the thread and nothing resets it:
    without this, a German page in one test would make the next test's e-mails German."""
    yield
    translation.deactivate()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return factories.UserFactory()


@pytest.fixture
def creator(db):
    return factories.UserFactory(username="creator")


@pytest.fixture
def staff(db):
    return factories.StaffFactory(username="staff")


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def live_campaign(creator):
    return factories.LiveCampaignFactory(creator=creator, goal=Decimal("1000.00"))


@pytest.fixture
def gateway():
    from pledges.payments import get_gateway

    return get_gateway()


@pytest.fixture
def card(gateway):
    """A fresh PaymentMethod for a card that saves and charges fine (4242…)."""
    return factories.payment_method(factories.CARD_SUCCEEDS)


def soon(**kwargs) -> timezone.datetime:
    return timezone.now() + timedelta(**kwargs)


# --- Object storage: the run's bucket (devstack's S3 server), a prefix per test ------------


class StoredFiles:
    """What one storage alias holds, by name (its ``location`` is this test's own)."""

    def __init__(self, alias: str):
        self.alias = alias

    @property
    def storage(self):
        from django.core.files.storage import storages

        return storages[self.alias]

    def names(self) -> list[str]:
        def walk(prefix: str):
            directories, files = self.storage.listdir(prefix)
            for name in files:
                yield f"{prefix}{name}"
            for directory in directories:
                yield from walk(f"{prefix}{directory}/")

        return sorted(walk(""))

    def read(self, name: str) -> bytes:
        with self.storage.open(name, "rb") as file:
            return file.read()


def own_storage_location(settings, alias: str, tmp_path: Path) -> StoredFiles:
    """``storages[alias]`` under a location of this test's own: a fresh prefix of the bucket
    (shared by the whole run), or a fresh directory with OBJECT_STORAGE=local."""
    stores = {name: dict(config) for name, config in settings.STORAGES.items()}
    options = dict(stores[alias].get("OPTIONS", {}))
    if stores[alias]["BACKEND"].endswith("FileSystemStorage"):
        options["location"] = str(tmp_path / alias)
    else:
        options["location"] = f"test-{uuid.uuid4().hex}/{options.get('location', alias)}"
    stores[alias]["OPTIONS"] = options
    settings.STORAGES = stores
    return StoredFiles(alias)


@pytest.fixture
def stored_media(settings, tmp_path) -> StoredFiles:
    """Campaign pictures go under this test's own prefix of the media storage."""
    return own_storage_location(settings, "default", tmp_path)


@pytest.fixture
def stored_exports(settings, tmp_path) -> StoredFiles:
    """Exports go under this test's own prefix of the exports storage."""
    return own_storage_location(settings, "exports", tmp_path)


# --- Celery: a real worker process on the real broker -----------------------------------


def _wait_for_worker(app, hostname: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    # A ping returns as soon as the worker answers; unanswered, it waits out its timeout, which is
    # then the polling interval (0.5 s plus a 0.2 s sleep wasted ~0.35 s a start, ~25 starts a run).
    while time.monotonic() < deadline:
        if app.control.ping(destination=[hostname], timeout=0.25):
            return
    raise RuntimeError(f"the Celery worker {hostname} did not answer a ping")


# A test's worker talks to no other worker: no start-up handshake, no heartbeats to share.
QUIET = ("--without-mingle", "--without-gossip")


def all_queues() -> list[str]:
    return [queue.name for queue in settings.CELERY_TASK_QUEUES]


class WorkerProcess:
    """A `celery worker` subprocess bound to the test database; can be killed and restarted.

    It consumes every queue (prefork, two processes unless told) unless given one of
    production's workers (processes.toml) to run as defined: a queue nobody consumes would
    leave its tasks waiting forever and the test hanging until its timeout.
    """

    def __init__(self, env: dict[str, str], log: Path, production: Worker | None = None):
        self.env = env
        self.log = log
        self.production = production
        self.process: subprocess.Popen | None = None
        self.hostname = ""

    def command(self, concurrency: int | None) -> list[str]:
        if self.production:
            options = {"concurrency": concurrency, "hostname": self.hostname, "python": sys.executable}
            return worker_command(self.production, **options, extra=QUIET)
        return celery_worker_command(
            queues=all_queues(),
            concurrency=concurrency or 2,
            hostname=self.hostname,
            python=sys.executable,
            extra=QUIET,
        )

    def start(self, concurrency: int | None = None) -> None:
        from config.celery_app import app

        self.hostname = f"test-{os.getpid()}-{time.monotonic_ns()}@{socket.gethostname()}"
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                self.command(concurrency),
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            _wait_for_worker(app, self.hostname, timeout=60)
        except RuntimeError:
            self.kill()  # a worker that never answered must not outlive the test and take its messages
            raise

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children), as a crash would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="session")
def worker_mail_dir(tmp_path_factory) -> Path:
    """Where the worker's file e-mail backend writes (one .log file per connection)."""
    return tmp_path_factory.mktemp("worker-mail")


@pytest.fixture(scope="session")
def worker_env(django_db_setup, django_db_blocker, worker_mail_dir) -> dict[str, str]:
    database = settings.DATABASES["default"]
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    if database.get("PASSWORD"):
        url = url.replace("@", f":{database['PASSWORD']}@", 1)
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DATABASE_CONN_MAX_AGE": "0",
        # Sweeps in tests must not wait minutes for work to count as left behind.
        "STALE_CHARGE_AFTER": "1",
        "COLLECTION_LOST_AFTER": "1",
        # A killed worker's e-mail rows come back after their lease: seconds here, not minutes.
        "MAIL_CLAIM_LEASE": "3",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(worker_mail_dir),
        # As in the test process (_mfa_not_required): scripts seed campaigns with factories.live_campaign.
        "MFA_REQUIRED_FOR_STAFF": "0",
        "MFA_REQUIRED_FOR_CREATORS": "0",
        # As in the test process (_payouts_not_required).
        "PAYOUTS_REQUIRED_TO_LAUNCH": "0",
        # As in the test process (_review_not_required).
        "CAMPAIGN_REVIEW_REQUIRED": "0",
    }


@pytest.fixture
def worker_process(worker_env, transactional_db, tmp_path) -> Iterator[WorkerProcess]:
    """A worker process for this test only, not started: the test starts it with the concurrency
    and environment it needs. The test's data is committed so the worker can see it.

    Every queue is purged first, and the worker is killed before the test's tables are flushed
    (a warm shutdown would only wait seconds for work nobody needs once the test is over), so no
    task of one test ever runs against another test's data.
    """
    from config.celery_app import app

    app.control.purge()
    worker = WorkerProcess(worker_env, tmp_path / "worker.log")
    yield worker
    worker.kill()


@pytest.fixture
def celery_worker(worker_process) -> WorkerProcess:
    """``worker_process``, started: every queue, two pool processes."""
    worker_process.start()
    return worker_process


def broker_messages(queue: str) -> list[tuple[str, tuple]]:
    """(task name, args) of the messages waiting in a queue of the real broker, oldest first."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    messages = []
    for raw in reversed(client.lrange(queue, 0, -1)):  # kombu pushes left and pops right
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        messages.append((message["headers"]["task"], tuple(args)))
    return messages


def purge_queues() -> None:
    from config.celery_app import app

    app.control.purge()  # every queue of CELERY_TASK_QUEUES


def wait_until(predicate, *, timeout: float = 30, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


def at_once(count: int, action) -> list:
    """Run ``action(index)`` in ``count`` threads released together; their results in index order.
    Each thread has its own database connection, closed when it ends."""
    import threading

    from django.db import connection

    start = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            start.wait()
            results[index] = action(index)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture
def categories(db):
    """The fixed categories: made by a data migration, gone once a transactional test flushed
    the database; made again here when missing."""
    from campaigns.services import categories_install

    categories_install()
