"""The provider budget shared through Redis: per operation and global, background work within its
share, people never behind it; 429s backed off as Stripe advises."""

import itertools
import json
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler

import pytest

from config.celery_app import app
from pledges.payments import RateLimited
from pledges.payments.ratelimit import (
    BACKGROUND,
    INTERACTIVE,
    Budget,
    acquire_provider_slot,
    current_priority,
    provider_priority,
)
from pledges.payments.stripe_gateway import StripeGateway
from tests.support.http import http_server


def _operation() -> str:
    """An operation of this test alone: its counters are nobody else's."""
    return f"POST /v1/test_{uuid.uuid4().hex[:12]}"


def _top_of_a_second() -> int:
    time.sleep(int(time.time()) + 1 - time.time() + 0.01)
    return int(time.time())


def _within_one_second(run, attempts: int = 5):
    for _ in range(attempts):
        second = _top_of_a_second()
        result = run()
        if int(time.time()) == second:
            return result
    pytest.fail("could not run the steps within one second")


def test_the_shared_budget_never_lets_more_than_an_operations_limit_through_in_a_second():
    budget = Budget(rate_limit=0, operation_rate_limit=4, background_share=1.0)
    operation = _operation()
    seconds: list[int] = []
    lock = threading.Lock()

    def worker(count: int):
        for _ in range(count):
            # The second the budget counted the slot in: a clock read after the call could be a
            # second late on a busy machine.
            second = acquire_provider_slot(operation=operation, priority=INTERACTIVE, budget=budget, timeout=10)
            with lock:
                seconds.append(second)

    threads = [threading.Thread(target=worker, args=(n,)) for n in (5, 5, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    per_second = Counter(seconds)
    assert sum(per_second.values()) == 14
    assert max(per_second.values()) == 4
    assert len(per_second) >= 4  # 14 calls at 4/s span at least 4 seconds


def test_background_work_takes_its_share_and_people_the_rest_at_once():
    budget = Budget(rate_limit=0, operation_rate_limit=10, background_share=0.6)
    operation = _operation()

    def take(priority: str) -> int:
        """How many slots ``priority`` gets in this second without waiting."""
        taken = 0
        while True:
            try:
                acquire_provider_slot(operation=operation, priority=priority, budget=budget, timeout=0)
            except RateLimited:
                return taken
            taken += 1

    assert _within_one_second(lambda: (take(BACKGROUND), take(INTERACTIVE))) == (6, 4)
    # People first: they may use the whole budget, and background work waits for the next second.
    assert _within_one_second(lambda: (take(INTERACTIVE), take(BACKGROUND))) == (10, 0)


def test_the_global_limit_counts_every_operation_and_background_keeps_to_its_share_of_it():
    budget = Budget(rate_limit=5, operation_rate_limit=25, background_share=0.6)
    first, second = _operation(), _operation()

    def steps():
        for operation in (first, first, second):
            acquire_provider_slot(operation=operation, priority=BACKGROUND, budget=budget, timeout=0)
        with pytest.raises(RateLimited):  # 3 of 5 is background's share
            acquire_provider_slot(operation=second, priority=BACKGROUND, budget=budget, timeout=0)
        for operation in (first, second):
            acquire_provider_slot(operation=operation, priority=INTERACTIVE, budget=budget, timeout=0)
        with pytest.raises(RateLimited):
            acquire_provider_slot(operation=first, priority=INTERACTIVE, budget=budget, timeout=0)

    _within_one_second(steps)


def _take(operation: str, priority: str, budget: Budget) -> int:
    """How many slots ``priority`` gets now without waiting."""
    taken = 0
    while True:
        try:
            acquire_provider_slot(operation=operation, priority=priority, budget=budget, timeout=0)
        except RateLimited:
            return taken
        taken += 1


def _at(second: int, fraction: float) -> None:
    time.sleep(max(0.0, second + fraction - time.time()))


def test_background_work_borrows_the_peoples_idle_reserve_in_the_second_half_of_a_second():
    budget = Budget(rate_limit=0, operation_rate_limit=10, background_share=0.6)
    operation = _operation()

    def steps():
        second = int(time.time())
        early = _take(operation, BACKGROUND, budget)
        _at(second, 0.55)
        late = _take(operation, BACKGROUND, budget)
        return early, late, _take(operation, INTERACTIVE, budget)

    # Its share at once, then all but one slot of the reserve, which stays for a newcomer.
    assert _within_one_second(steps) == (6, 3, 1)


def test_what_people_asked_for_in_the_last_second_is_not_lent():
    budget = Budget(rate_limit=0, operation_rate_limit=10, background_share=0.6)
    operation = _operation()

    def steps():
        second = int(time.time())
        people = 0
        for _ in range(2):
            acquire_provider_slot(operation=operation, priority=INTERACTIVE, budget=budget, timeout=0)
            people += 1
        _at(second, 0.55)
        # 10 - 2 taken by people; background may borrow up to 10 - (2 asked + 1 idle) = 7 in all.
        return people, _take(operation, BACKGROUND, budget)

    assert _within_one_second(steps) == (2, 7)
    second = int(time.time()) + 1
    _at(second, 0.55)
    # The next second: people asked for 2 in the last one, so 3 stay theirs.
    assert _take(operation, BACKGROUND, budget) == 7
    assert int(time.time()) == second


def test_a_person_never_waits_behind_background_work_past_the_second_they_came_in():
    budget = Budget(rate_limit=0, operation_rate_limit=10, background_share=0.6)
    operation = _operation()
    stop = threading.Event()
    background_seconds: list[int] = []
    lock = threading.Lock()

    def background():
        while not stop.is_set():
            try:
                # The second the budget counted the slot in: a clock read after the call can be a
                # second late on a busy machine (a run once counted 11 in one second so).
                counted = acquire_provider_slot(operation=operation, priority=BACKGROUND, budget=budget, timeout=1)
            except RateLimited:  # more threads than slots: some wait their turn
                continue
            with lock:
                background_seconds.append(counted)

    threads = [threading.Thread(target=background) for _ in range(12)]
    for thread in threads:
        thread.start()
    people_seconds = []
    try:
        time.sleep(1.5)  # background work alone: it borrows the reserve
        for _ in range(3):
            second = _top_of_a_second()
            time.sleep(0.2)  # background work has taken its share of this second by now
            for _ in range(4):  # the reserved part, without waiting (timeout 0), in this second
                slot = acquire_provider_slot(operation=operation, priority=INTERACTIVE, budget=budget, timeout=0)
                assert slot == second
            people_seconds.append(second)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    per_second = Counter(background_seconds)
    # Alone it borrowed all but the idle slot; beside the people it kept to its share.
    assert max(per_second.values()) == 9
    assert [per_second[second] for second in people_seconds] == [6, 6, 6]


def test_a_limit_of_zero_is_no_limit():
    budget = Budget(rate_limit=0, operation_rate_limit=0, background_share=0.6)
    operation = _operation()
    for _ in range(50):
        acquire_provider_slot(operation=operation, priority=BACKGROUND, budget=budget, timeout=0)


def test_without_redis_calls_go_through(settings):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"
    budget = Budget(rate_limit=1, operation_rate_limit=1, background_share=0.6)
    for _ in range(3):
        acquire_provider_slot(operation=_operation(), priority=BACKGROUND, budget=budget, timeout=0)


@app.task(name="tests.pledges.test_ratelimit.priority_in_a_task")
def priority_in_a_task() -> str:
    return current_priority()


def test_a_task_is_background_a_request_interactive_unless_said_otherwise():
    assert current_priority() == INTERACTIVE
    assert priority_in_a_task.apply().get() == BACKGROUND
    with provider_priority(BACKGROUND):
        assert current_priority() == BACKGROUND
        with provider_priority(INTERACTIVE):
            assert current_priority() == INTERACTIVE
    assert current_priority() == INTERACTIVE
    with pytest.raises(ValueError):
        with provider_priority("urgent"):
            pass


PAYMENT_INTENT = {
    "id": "pi_busy",
    "object": "payment_intent",
    "status": "succeeded",
    "amount": 1000,
    "currency": "eur",
    "metadata": {},
}


def _busy_provider(refusals: int, should_retry: str | None):
    """Answers ``refusals`` 429s (Stripe's body, and Stripe-Should-Retry if given), then the intent."""
    seen: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(time.monotonic())
            if len(seen) <= refusals:
                status = 429
                body = {"error": {"type": "invalid_request_error", "code": "rate_limit", "message": "Too many"}}
            else:
                status, body = 200, PAYMENT_INTENT
            raw = json.dumps(body).encode()
            self.send_response(status)
            if status == 429 and should_retry is not None:
                self.send_header("Stripe-Should-Retry", should_retry)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args):
            pass

    return Handler, seen


@pytest.mark.parametrize("should_retry", ["true", None])
def test_background_work_backs_off_on_429s_and_gets_its_answer(should_retry):
    handler, seen = _busy_provider(refusals=3, should_retry=should_retry)
    with http_server(handler) as url, provider_priority(BACKGROUND):
        gateway = StripeGateway(secret_key="sk_test_busy", webhook_secret="whsec_x", api_base=url)
        assert gateway.retrieve_charge("pi_busy").succeeded
    assert len(seen) == 4
    waits = [later - earlier for earlier, later in itertools.pairwise(seen)]
    # Exponential: 0.25-0.5 s, 0.5-1 s, 1-2 s (half of each step at least, then jitter).
    assert waits[0] >= 0.25 and waits[1] >= 0.5 and waits[2] >= 1.0


def test_a_429_the_provider_says_not_to_retry_is_not_sent_again():
    handler, seen = _busy_provider(refusals=1, should_retry="false")
    with http_server(handler) as url, provider_priority(BACKGROUND):
        gateway = StripeGateway(secret_key="sk_test_busy", webhook_secret="whsec_x", api_base=url)
        with pytest.raises(RateLimited):
            gateway.retrieve_charge("pi_busy")
    assert len(seen) == 1


def test_a_person_gets_two_quick_retries_then_an_answer_that_the_provider_is_busy():
    handler, seen = _busy_provider(refusals=10, should_retry="true")
    with http_server(handler) as url:
        gateway = StripeGateway(secret_key="sk_test_busy", webhook_secret="whsec_x", api_base=url)
        started = time.monotonic()
        with pytest.raises(RateLimited):
            gateway.retrieve_charge("pi_busy")
    assert len(seen) == 3
    assert time.monotonic() - started < 1.5


def test_backoffs_end_when_the_calls_wait_is_spent():
    """Background work backs off six times by default (about 30 s); a webhook's call gives up at its wait."""
    handler, seen = _busy_provider(refusals=10, should_retry="true")
    with http_server(handler) as url, provider_priority(BACKGROUND, wait=1.0):
        gateway = StripeGateway(secret_key="sk_test_busy", webhook_secret="whsec_x", api_base=url)
        with pytest.raises(RateLimited):
            gateway.retrieve_charge("pi_busy")
    # 0.25-0.5 s, then 0.5-1 s more would pass the second: two tries at most.
    assert len(seen) in (2, 3) and seen[-1] - seen[0] <= 1.0
