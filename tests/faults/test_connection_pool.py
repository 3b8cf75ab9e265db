"""PostgreSQL connections under a burst: gunicorn with 2 processes of 16 threads, 64 clients at once.
With psycopg's pool (DATABASE_POOL_MAX_SIZE=3) the server never sees more than 2 x 3 connections
of the site, counted in pg_stat_activity while the burst runs; without it, each thread opens one."""

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import requests
from django.db import connection

from accounts.tokens import token_issue
from devstack.process import free_port, wait_for_port
from tests import factories
from tests.conftest import ROOT

PROCESSES, THREADS, POOL = 2, 16, 3
CLIENTS, REQUESTS = 64, 192


def _peak_connections(worker_env, tmp_path, *, pool_size: int, application: str, token: str) -> tuple[int, list]:
    port = free_port()
    env = {
        **worker_env,
        "DATABASE_URL": f"{worker_env['DATABASE_URL']}?application_name={application}",
        "DATABASE_POOL_MAX_SIZE": str(pool_size),
        "DATABASE_POOL_MIN_SIZE": "1",
        "DATABASE_CONN_MAX_AGE": "60",  # with the pool off: a connection kept per thread
        "WEB_WORKERS": str(PROCESSES),
        "WEB_THREADS": str(THREADS),
        "API_THROTTLE_USER": "1000000/minute",
    }
    with open(tmp_path / f"{application}.log", "wb") as log:
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.py", "-b", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    params = {k: v for k, v in connection.get_connection_params().items() if k != "cursor_factory"}
    peak, stop = [0], threading.Event()

    def sample() -> None:
        with psycopg.connect(**params, autocommit=True) as watcher:
            while not stop.is_set():
                count = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application]
                ).fetchone()[0]
                peak[0] = max(peak[0], count)
                time.sleep(0.01)

    try:
        wait_for_port(port, timeout=30, what="gunicorn")
        sampler = threading.Thread(target=sample)
        sampler.start()
        session = requests.Session()
        session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=CLIENTS))

        def read(_: int) -> int:
            return session.get(
                f"http://127.0.0.1:{port}/api/pledges/", headers={"Authorization": f"Token {token}"}, timeout=60
            ).status_code

        with ThreadPoolExecutor(CLIENTS) as clients:
            statuses = list(clients.map(read, range(REQUESTS)))
        stop.set()
        sampler.join(timeout=10)
    finally:
        stop.set()
        web.terminate()
        web.wait(timeout=30)
    return peak[0], statuses


@pytest.mark.django_db(transaction=True)
def test_a_burst_never_takes_more_connections_than_the_pools_hold(worker_env, tmp_path):
    backer = factories.UserFactory()
    campaign = factories.LiveCampaignFactory()
    # A pledge of someone else: the list reads the database each time.
    factories.PledgeFactory(campaign=campaign, amount="15.00")
    token = token_issue(user=backer)

    pooled, pooled_statuses = _peak_connections(
        worker_env, tmp_path, pool_size=POOL, application="pb-burst-pooled", token=token
    )
    unpooled, unpooled_statuses = _peak_connections(
        worker_env, tmp_path, pool_size=0, application="pb-burst-unpooled", token=token
    )

    assert pooled_statuses == unpooled_statuses == [200] * REQUESTS
    assert 2 <= pooled <= PROCESSES * POOL  # in use at once, and never past the bound
    assert unpooled > PROCESSES * POOL  # what the bound saves: a connection per busy thread
    print(f"peak connections under {CLIENTS} clients: pooled {pooled}, unpooled {unpooled}")
