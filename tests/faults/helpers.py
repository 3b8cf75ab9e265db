"""Real processes for the fault tests: free ports, a Celery worker of a broker of the test's
own (the suite's worker fixture pings through the shared broker), and beat's sends."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devstack.processes import celery_worker_command
from tests.conftest import QUIET, ROOT, all_queues


@contextmanager
def worker(env: dict[str, str], log: Path, *, name: str, concurrency: int = 1) -> Iterator[subprocess.Popen]:
    """A `celery worker` on every queue, killed (its whole process group) when the block ends: the
    tests wait for the work they check inside the block, and a warm shutdown would only wait."""
    with open(log, "wb") as out:
        command = celery_worker_command(
            queues=all_queues(),
            concurrency=concurrency,
            hostname=f"{name}-{os.getpid()}@%h",
            python=sys.executable,
            extra=QUIET,
        )
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        os.killpg(process.pid, 9)
        process.wait(timeout=60)


def send_task(env: dict[str, str], name: str) -> None:
    """What beat does: send the named task to the broker of ``env`` (its REDIS_URL), routed by the
    app's own routes, from this process (a `celery call` would start Django again for each send)."""
    from config.celery_app import app

    with app.connection_for_write(env["REDIS_URL"]) as connection:
        app.send_task(name, connection=connection)
