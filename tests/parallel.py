"""Services of its own for each pytest-xdist worker, set before Django reads its settings.

`make test` runs the suite in several processes (pytest-xdist). Each gets:

* a test database of its own: pytest-django adds the worker's name (``test_pledgeboard_gw0``);
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
