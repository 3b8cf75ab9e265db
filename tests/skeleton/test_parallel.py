"""Each xdist process gets services of its own (tests/parallel.py), in a fresh interpreter as xdist starts it."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, os, requests
from tests.parallel import isolate_this_worker
isolate_this_worker()
answer = requests.get(os.environ["STRIPE_API_BASE"] + "/v1/customers", auth=("sk_test_x", ""), timeout=10)
seen = {"redis": os.environ["REDIS_URL"], "stripe": os.environ["STRIPE_API_BASE"], "status": answer.status_code}
print(json.dumps(seen))
"""


def _probe(worker: str, code: str = PROBE) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env |= {"PYTEST_XDIST_WORKER": worker, "REDIS_URL": "redis://127.0.0.1:6399/0"}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)


def test_a_worker_gets_a_redis_database_and_a_localstripe_of_its_own():
    first, second = (_probe(worker) for worker in ("gw0", "gw1"))

    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    first, second = json.loads(first.stdout), json.loads(second.stdout)
    assert (first["redis"], second["redis"]) == ("redis://127.0.0.1:6399/1", "redis://127.0.0.1:6399/2")
    assert first["stripe"] != second["stripe"] != os.environ["STRIPE_API_BASE"]
    assert first["status"] == second["status"] == 200  # a localstripe answered each


def test_settings_read_before_the_isolation_are_refused():
    code = "import django; django.setup()\nfrom tests.parallel import isolate_this_worker; isolate_this_worker()"

    result = _probe(
        "gw0",
        code.replace(
            "import django", "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; import django"
        ),
    )

    assert result.returncode != 0
    assert "Django read its settings before this xdist worker got services of its own" in result.stderr
