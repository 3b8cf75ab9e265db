"""Services of its own for each pytest-xdist worker, set before Django reads its settings.

`make test` runs the suite in several processes (pytest-xdist). Each gets:

* a test database of its own: pytest-django adds the worker's name (``test_pledgeboard_gw0``).
  A new one is a copy of a template database (``test_pledgeboard_template``) that the controlling
  process migrates once before it starts the workers: migrating took each worker ~7 s of CPU;
* a Redis database of its own for the cache, throttles, locks and the broker of the Celery
  workers its tests start (``REDIS_URL`` ends in ``/1`` for gw0, ``/2`` for gw1, ...; Celery's
  broadcasts are per database too, kombu prefixes them), so a purge or a flush in one process
  never touches another's;
* a localstripe of its own: tests flush the emulator's store (it slows as it grows) and count
  what it holds, which would pull the cards from under another process's tests.

Its worker processes, web servers and mail directories follow from these (tests/conftest.py's
``worker_env`` copies the environment; ``tmp_path`` is per process). Outside xdist nothing
changes: one process uses the services devstack started.
"""

import atexit
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from devstack.process import free_port, terminate, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
FIRST_REDIS_DB = 1  # db 0 is the one devstack gave; a test of its own uses 9 (tests/faults)
LAST_REDIS_DB = 8


def worker_index() -> int | None:
    """0 for xdist's gw0, 1 for gw1, ...; None outside xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return int(worker.removeprefix("gw")) if worker else None


def redis_database(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


def _own_localstripe(index: int) -> str:
    port = free_port()
    log = open(ROOT / "var" / "test" / f"localstripe-gw{index}.log", "ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack.localstripe_server", "--port", str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    atexit.register(terminate, process.pid)
    atexit.register(log.close)
    wait_for_port(port, timeout=60, what=f"gw{index}'s localstripe")
    return f"http://127.0.0.1:{port}"


def isolate_this_worker() -> None:
    """Point this xdist worker at services of its own (environment only: Django reads it next)."""
    index = worker_index()
    if index is None:
        return
    import django.conf

    if django.conf.settings.configured:
        raise RuntimeError(
            "Django read its settings before this xdist worker got services of its own: "
            "do not set DJANGO_SETTINGS_MODULE for a parallel run (tests/conftest.py sets it)"
        )
    db = FIRST_REDIS_DB + index
    if db > LAST_REDIS_DB:
        raise RuntimeError(f"at most {LAST_REDIS_DB - FIRST_REDIS_DB + 1} xdist workers (-n): Redis has 16 databases")
    os.environ["REDIS_URL"] = redis_database(os.environ["REDIS_URL"], db)
    (ROOT / "var" / "test").mkdir(parents=True, exist_ok=True)
    os.environ["STRIPE_API_BASE"] = _own_localstripe(index)


TEMPLATE_DATABASE_VARIABLE = "PLEDGEBOARD_TEST_TEMPLATE_DATABASE"


def _base_test_database_name() -> str:
    """The test database's name before pytest-xdist adds a worker's name (and TEST_DB_SUFFIX its own)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    return database.get("TEST", {}).get("NAME") or f"test_{database['NAME']}"


def prepare_template_database(config) -> None:
    """In the controlling process of a parallel run, before it starts the workers: migrate the
    template database every worker's new test database is copied from (CREATE DATABASE ...
    TEMPLATE, set by ``use_template_database``), and name it in the environment the workers
    inherit. Migrations are applied once instead of once a worker. Nothing to do when every
    worker's database is kept from an earlier run (``--reuse-db`` without ``--create-db``)."""
    workers = len(config.getoption("tx", None) or ())  # xdist's workers, --maxprocesses applied
    if not workers or hasattr(config, "workerinput"):
        return
    if config.getoption("collectonly") or config.getoption("nomigrations"):
        return  # no test database made, or made without migrations (Django's own way)
    from django.core.management import call_command
    from django.db import connection
    from pytest_django.plugin import blocking_manager_key

    from tests.support.databases import connected_to

    suffix = f"_{os.environ['TEST_DB_SUFFIX']}" if os.environ.get("TEST_DB_SUFFIX") else ""
    base = _base_test_database_name()
    template = f"{base}{suffix}_template"
    fresh = config.getoption("create_db") or not config.getoption("reuse_db")
    with config.stash[blocking_manager_key].unblock():
        with connection._nodb_cursor() as cursor:
            cursor.execute("SELECT datname FROM pg_database")
            existing = {name for (name,) in cursor.fetchall()}
            wanted = {f"{base}_gw{index}{suffix}" for index in range(workers)}
            if not fresh and wanted <= existing:
                return
            if fresh or template not in existing:
                cursor.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
                cursor.execute(f'CREATE DATABASE "{template}"')
        # As Django's test database creation does. Kept templates are migrated too: a new
        # migration since they were made.
        with _collecting_beside(config), connected_to(template):
            call_command("migrate", verbosity=0, interactive=False, run_syncdb=True)
    os.environ[TEMPLATE_DATABASE_VARIABLE] = template


@contextmanager
def _collecting_beside(config) -> Iterator[None]:
    """A collection of the run's tests in a process of its own during the block (the template's
    migrations, on one core): it leaves pytest's rewritten test modules cached. In a new checkout
    (and so CI) each worker otherwise rewrote every test module, all three at once: about 4 s of
    CPU each."""
    if sys.dont_write_bytecode:  # PYTHONDONTWRITEBYTECODE: nothing would be cached
        yield
        return
    collecting = subprocess.Popen(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:xdist", *config.args],
        cwd=config.invocation_params.dir,  # where the run's paths are relative to
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        try:
            collecting.wait(timeout=120)
        except subprocess.TimeoutExpired:
            collecting.kill()  # the workers collect for themselves; their errors are shown


def use_template_database() -> None:
    """In a worker: Django makes a new test database as a copy of the controller's template
    (already migrated: Django's own migrate then has nothing to apply)."""
    template = os.environ.get(TEMPLATE_DATABASE_VARIABLE)
    if template and worker_index() is not None:
        from django.conf import settings

        settings.DATABASES["default"].setdefault("TEST", {})["TEMPLATE"] = template
