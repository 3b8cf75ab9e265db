"""One budget of provider requests per second, shared by every process through Redis.

Stripe limits an account to about 100 requests a second in live mode (``STRIPE_RATE_LIMIT``)
and each operation (``POST /v1/payment_intents``) to 25 (``STRIPE_OPERATION_RATE_LIMIT``);
past either it answers 429 (docs.stripe.com/rate-limits). It asks that background work keep
to a part of the limit so that live payments still go through. So every call the gateway
makes takes a slot here first, with its operation and its priority:

* ``INTERACTIVE``: a person waits for the answer (checkout, fixing a card, a staff refund,
  onboarding). It may use the whole budget.
* ``BACKGROUND``: collection, payouts, clean-ups, reconciliation. It may always use
  ``STRIPE_BACKGROUND_SHARE`` (0.6) of each budget, globally and per operation; the rest is the
  people's reserve. In the second half of a second, background work may also borrow what the
  people have left of their reserve in that second, all but what they asked for in this or the
  last second (plus one slot, or 4 % of the limit, kept idle for a newcomer). So a collection
  alone runs at 96 % of the limit, and a person never waits behind background work more than
  the rest of a second, at the onset of a burst that came after a quiet second: from the next
  second on, the reserve is theirs again.

The priority is what ``provider_priority()`` set; else background inside a Celery task (no
person waits on a worker) and interactive elsewhere (a web request).

Each priority counts its own calls in one-second windows (core.throttling.count_hits: INCR in
Redis, exact under any number of processes): ``provider:<second>:<priority>:*`` and
``…:<operation>``; people's calls also count as demand (``provider:<second>:demand:…``), which
is never taken back, refused or not. A call is let through when its own count is within its
cap and, with the other priority's count of that second added, within the limit. Each caller
counts first and reads the other's count after, so of two racing calls the later always sees
the earlier. A background count read by an interactive call is taken at most at the most
background work may ever hold (a refused background hit stays in the counter only until it is
taken back). A refused call takes its hit back and waits: people for the next second,
background work for the next half second. If Redis does not answer, calls go through
(logged): the provider's 429s, and the backoff on them, still hold the line.
"""

from __future__ import annotations

import contextvars
import logging
import math
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis
from django.conf import settings

from core.redis_client import quick_redis_client
from core.throttling import count_hits, uncount_hits

from .base import RateLimited

log = logging.getLogger(__name__)

INTERACTIVE = "interactive"
BACKGROUND = "background"
PRIORITIES = (INTERACTIVE, BACKGROUND)
GLOBAL = "*"

# How long a call may wait for a slot before it is given up as rate limited: a person gets an
# answer within seconds; background work waits longer, then its task retries later.
WAIT_FOR_SLOT = {INTERACTIVE: 10.0, BACKGROUND: 60.0}

# Background work borrows the people's unused reserve only from this point of a second on, so
# that people arriving in its first half always find their reserve whole.
BORROW_FROM = 0.5
# Kept free of borrowing for a person who comes while nobody else does: 4 % of a limit, one at least.
IDLE_RESERVE_SHARE = 0.04
DEMAND = "demand"

_priority: contextvars.ContextVar[str | None] = contextvars.ContextVar("provider_priority", default=None)
_wait: contextvars.ContextVar[float | None] = contextvars.ContextVar("provider_wait", default=None)


@contextmanager
def provider_priority(priority: str, *, wait: float | None = None) -> Iterator[None]:
    """Provider calls made inside count as ``priority`` (INTERACTIVE or BACKGROUND), and each
    waits at most ``wait`` seconds for its slots and 429 backoffs (by default WAIT_FOR_SLOT)."""
    if priority not in PRIORITIES:
        raise ValueError(f"unknown priority {priority!r}")
    token, wait_token = _priority.set(priority), _wait.set(wait)
    try:
        yield
    finally:
        _priority.reset(token)
        _wait.reset(wait_token)


def current_wait(priority: str) -> float:
    """How long one provider call may wait, slots and backoffs together."""
    chosen = _wait.get()
    return WAIT_FOR_SLOT[priority] if chosen is None else chosen


def current_priority() -> str:
    chosen = _priority.get()
    if chosen is not None:
        return chosen
    from celery import current_task  # a worker's thread runs a task; a web request does not

    return BACKGROUND if current_task and not current_task.request.called_directly else INTERACTIVE


@dataclass(frozen=True)
class Budget:
    """Requests per second: the provider's global and per-operation limits (0 = none) and the
    share of each that background work may use."""

    rate_limit: int
    operation_rate_limit: int
    background_share: float

    @classmethod
    def from_settings(cls) -> Budget:
        return cls(
            rate_limit=settings.STRIPE_RATE_LIMIT,
            operation_rate_limit=settings.STRIPE_OPERATION_RATE_LIMIT,
            background_share=settings.STRIPE_BACKGROUND_SHARE,
        )

    def limits(self, operation: str) -> dict[str, int]:
        return {
            name: limit
            for name, limit in ((GLOBAL, self.rate_limit), (operation, self.operation_rate_limit))
            if limit > 0
        }

    def background_cap(self, limit: int) -> int:
        """What background work may always use of ``limit``."""
        return max(1, math.floor(limit * self.background_share))

    def idle_reserve(self, limit: int) -> int:
        """What is never lent to background work while the people ask for nothing."""
        return min(limit - self.background_cap(limit), max(1, math.ceil(limit * IDLE_RESERVE_SHARE)))

    def background_borrowing_cap(self, limit: int, people_demand: int) -> int:
        """What background work may use of ``limit`` once it borrows: the people's reserve less
        their demand (this or the last second) and the idle reserve, never below its own share."""
        reserve = limit - self.background_cap(limit)
        held = min(reserve, people_demand + self.idle_reserve(limit))
        return max(self.background_cap(limit), limit - held)


def _key(second: int, priority: str, name: str) -> str:
    return f"provider:{second}:{priority}:{name}"


def _try_take(operation: str, priority: str, budget: Budget, now: float) -> bool:
    """One attempt at a slot in the second of ``now``: True if taken (its hits stay counted)."""
    second = int(now)
    limits = budget.limits(operation)
    names = list(limits)
    own = [(_key(second, priority, name), 1) for name in names]
    if priority == INTERACTIVE:
        hits = count_hits(own + [(_key(second, DEMAND, name), 1) for name in names])[: len(names)]
        others = quick_redis_client().mget([_key(second, BACKGROUND, name) for name in names])
        fits = all(
            hit + min(int(used or 0), budget.background_borrowing_cap(limits[name], 0)) <= limits[name]
            for name, hit, used in zip(names, hits, others, strict=True)
        )
    else:
        hits = count_hits(own)
        borrowing = now - second >= BORROW_FROM
        keys = [_key(second, INTERACTIVE, name) for name in names]
        if borrowing:
            keys += [_key(s, DEMAND, name) for s in (second - 1, second) for name in names]
        counts = [int(count or 0) for count in quick_redis_client().mget(keys)]
        fits = True
        for index, (name, hit) in enumerate(zip(names, hits, strict=True)):
            limit = limits[name]
            cap = budget.background_cap(limit)
            if borrowing:
                demand = max(counts[len(names) + index], counts[2 * len(names) + index])
                cap = budget.background_borrowing_cap(limit, demand)
            fits = fits and hit <= cap and hit + min(counts[index], limit) <= limit
    if not fits:
        uncount_hits(own)
    return fits


def _next_try(now: float, priority: str) -> float:
    """When a refused call tries again: people at the next second, background work at the next
    half second (it may borrow then); spread over 50 ms so waiting callers do not all come at once."""
    second = math.floor(now)
    if priority == BACKGROUND and now - second < BORROW_FROM:
        at = second + BORROW_FROM
    else:
        at = second + 1
    return at - now + random.uniform(0, 0.05)  # noqa: S311 (jitter, not a secret)


def acquire_provider_slot(
    *, operation: str, priority: str | None = None, budget: Budget | None = None, timeout: float | None = None
) -> int | None:
    """Wait until this process may make one ``operation`` call (``POST /v1/payment_intents``);
    raise RateLimited if none came within ``timeout`` (by priority: WAIT_FOR_SLOT).

    Returns the second (Unix time) whose budget the slot was counted in, or None when nothing
    was counted (no limit, or Redis not answering)."""
    priority = priority or current_priority()
    budget = budget or Budget.from_settings()
    if not budget.limits(operation):
        return None
    wait = WAIT_FOR_SLOT[priority] if timeout is None else timeout
    deadline = time.monotonic() + wait
    while True:
        now = time.time()
        try:
            if _try_take(operation, priority, budget, now):
                return int(now)
        except redis.RedisError as error:
            log.warning("provider call %s let through: Redis did not answer (%s)", operation, error)
            return None
        if time.monotonic() >= deadline:
            raise RateLimited(f"no provider request slot for {operation} within {wait} s", code="rate_limit")
        time.sleep(_next_try(now, priority))


# --- 429s ------------------------------------------------------------------------------

# Retries of a 429 inside one call, by priority: a person waits a second at most; background
# work backs off for about half a minute, then its task retries later (Celery, with backoff).
RETRIES_AFTER_429 = {INTERACTIVE: 2, BACKGROUND: 6}
FIRST_BACKOFF = {INTERACTIVE: 0.25, BACKGROUND: 0.5}
MAX_BACKOFF = 8.0


def should_retry_429(headers, *, attempt: int, priority: str) -> bool:
    """Stripe says in ``Stripe-Should-Retry`` whether to send the request again ("false": never);
    a 429 without it is retried too (it was not carried out), a few times by priority."""
    advice = (headers or {}).get("Stripe-Should-Retry")
    if advice == "false":
        return False
    return attempt < RETRIES_AFTER_429[priority]


def backoff_after_429(*, attempt: int, priority: str) -> float:
    """Seconds to wait before retry ``attempt`` + 1: exponential, with full jitter above half."""
    ceiling = min(FIRST_BACKOFF[priority] * 2**attempt, MAX_BACKOFF)
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not a secret)
