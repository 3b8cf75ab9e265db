"""localstripe answers as Stripe does past its rate limits: 429, Stripe's body, Stripe-Should-Retry."""

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import stripe

from devstack.process import free_port

ROOT = Path(__file__).resolve().parents[2]


def _start(env: dict[str, str]):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack.localstripe_server", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{url}/_config/limits", timeout=1)
            return process, url
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.1)


@pytest.fixture
def limited_localstripe():
    """A localstripe of this test's own with Stripe's live-mode limits (the defaults)."""
    env = {"LOCALSTRIPE_RATE_LIMIT": "", "LOCALSTRIPE_OPERATION_RATE_LIMIT": "", "STRIPE_LATENCY_MS": "0"}
    process, url = _start(env)
    yield url
    process.terminate()
    process.wait(timeout=10)


def _client(url: str) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_limits", base_addresses={"api": url}, max_network_retries=0)


def _next_second() -> None:
    time.sleep(int(time.time()) + 1 - time.time() + 0.01)


def _within_one_second(run, attempts: int = 5):
    """``run()`` started at the top of a second and done before its end (a slow machine may need
    another go: the limits count per wall-clock second)."""
    for _ in range(attempts):
        _next_second()
        second = int(time.time())
        result = run()
        if int(time.time()) == second:
            return result
    pytest.fail("could not make the requests within one second")


def test_the_26th_payment_intent_in_a_second_is_refused_while_a_read_still_works(limited_localstripe):
    client = _client(limited_localstripe)
    assert requests.get(f"{limited_localstripe}/_config/limits", timeout=5).json()["operation_rate_limit"] == 25

    def create(_):
        return client.v1.payment_intents.create(params={"amount": 1000, "currency": "eur"})

    def burst():
        with ThreadPoolExecutor(8) as pool:
            created = list(pool.map(create, range(25)))
        with pytest.raises(stripe.RateLimitError) as refused:
            create(25)
        listed = client.v1.payment_intents.list(params={"limit": 1})  # another operation: within its budget
        return created, refused.value, listed

    created, refused, listed = _within_one_second(burst)

    assert len({intent.id for intent in created}) == 25
    assert refused.http_status == 429
    assert refused.json_body["error"]["code"] == "rate_limit"
    assert refused.json_body["error"]["type"] == "invalid_request_error"
    assert refused.json_body["error"]["message"].startswith("Request rate limit exceeded.")
    assert refused.headers["Stripe-Should-Retry"] == "true"
    assert len(listed.data) == 1
    counted = requests.get(f"{limited_localstripe}/_config/limits", timeout=5).json()
    assert counted["rate_limited"] == {"POST /v1/payment_intents": 1}
    _next_second()
    create(26)  # a new second, a new budget


def test_the_global_limit_counts_every_operation_and_zero_turns_a_limit_off(limited_localstripe):
    config = f"{limited_localstripe}/_config/limits"
    requests.post(config, json={"rate_limit": 5, "operation_rate_limit": 0}, timeout=5).raise_for_status()
    client = _client(limited_localstripe)

    def burst():
        for _ in range(3):
            client.v1.customers.create(params={"email": "a@example.com"})
        client.v1.customers.list(params={"limit": 1})
        client.v1.payment_intents.list(params={"limit": 1})
        with pytest.raises(stripe.RateLimitError):
            client.v1.payment_intents.list(params={"limit": 1})

    _within_one_second(burst)

    requests.post(config, json={"rate_limit": 0}, timeout=5).raise_for_status()
    _within_one_second(lambda: [client.v1.customers.list(params={"limit": 1}) for _ in range(30)])
    requests.delete(config, timeout=5).raise_for_status()
    state = requests.get(config, timeout=5).json()
    assert (state["rate_limit"], state["operation_rate_limit"], state["calls"]) == (100, 25, {})
    assert requests.post(config, json={"rate_limit": -1}, timeout=5).status_code == 400


def test_the_limits_come_from_the_environment():
    process, url = _start({"LOCALSTRIPE_RATE_LIMIT": "7", "LOCALSTRIPE_OPERATION_RATE_LIMIT": "3"})
    try:
        state = requests.get(f"{url}/_config/limits", timeout=5).json()
        assert (state["rate_limit"], state["operation_rate_limit"]) == (7, 3)
    finally:
        process.terminate()
        process.wait(timeout=10)
