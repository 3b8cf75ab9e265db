"""STRIPE_LATENCY_MS: the local provider answers late, as Stripe does, without queueing requests."""

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from devstack.process import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def slow_localstripe():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack.localstripe_server", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "STRIPE_LATENCY_MS": "400"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{url}/_config/webhooks/none", timeout=1)
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_every_api_answer_waits_yet_concurrent_requests_wait_together(slow_localstripe):
    def call(_) -> float:
        started = time.monotonic()
        response = requests.get(f"{slow_localstripe}/v1/customers", auth=("sk_test_x", ""), timeout=10)
        assert response.status_code == 200
        return time.monotonic() - started

    started = time.monotonic()
    with ThreadPoolExecutor(10) as pool:
        each = list(pool.map(call, range(10)))
    together = time.monotonic() - started

    assert min(each) >= 0.4
    # Ten requests one after another would take 4 s; overlapping, they take little more than one.
    assert together < 2.0
