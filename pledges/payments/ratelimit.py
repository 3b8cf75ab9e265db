"""One budget of provider requests per second, shared by every process through Redis.

Stripe limits an account to about 100 requests a second in live mode (``STRIPE_RATE_LIMIT``)
and each operation (``POST /v1/payment_intents``) to 25 (``STRIPE_OPERATION_RATE_LIMIT``);
past either it answers 429 (docs.stripe.com/rate-limits). It asks that background work keep
to a part of the limit so that live payments still go through. So every call the gateway
makes takes a slot here first, with its operation and its priority:

* ``INTERACTIVE``: a person waits for the answer (checkout, fixing a card, a staff refund,
  onboarding). It may use the whole budget.
* ``BACKGROUND``: collection, payouts, clean-ups, reconciliation. It may use at most
  ``STRIPE_BACKGROUND_SHARE`` (0.6) of each budget, globally and per operation, so the rest is
  kept for people: an interactive call never waits behind background work, only behind other
  interactive calls past 40 % of a limit.

The priority is what ``provider_priority()`` set; else background inside a Celery task (no
person waits on a worker) and interactive elsewhere (a web request).

Each priority counts its own calls in one-second windows (core.throttling.count_hits: INCR in
Redis, exact under any number of processes): ``provider:<second>:<priority>:*`` and
``…:<operation>``. A call is let through when its own count is within its cap and, with the
other priority's count of that second added, within the limit. Each caller counts first and
reads the other's count after, so of two racing calls the later always sees the earlier. A
background count read by an interactive call is taken at most at the background cap (a
refused background hit stays in the counter only until it is taken back). A refused call
takes its hit back and waits for the next second. If Redis does not answer, calls go through
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

_priority: contextvars.ContextVar[str | None] = contextvars.ContextVar("provider_priority", default=None)


@contextmanager
def provider_priority(priority: str) -> Iterator[None]:
    """Provider calls made inside count as ``priority`` (INTERACTIVE or BACKGROUND)."""
    if priority not in PRIORITIES:
        raise ValueError(f"unknown priority {priority!r}")
    token = _priority.set(priority)
    try:
        yield
    finally:
        _priority.reset(token)


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
        return max(1, math.floor(limit * self.background_share))


def _key(second: int, priority: str, name: str) -> str:
    return f"provider:{second}:{priority}:{name}"


def _try_take(operation: str, priority: str, budget: Budget, second: int) -> bool:
    """One attempt at a slot in ``second``: True if taken (its hits stay counted)."""
    limits = budget.limits(operation)
    names = list(limits)
    own = [(_key(second, priority, name), 1) for name in names]
    hits = count_hits(own)
    other = BACKGROUND if priority == INTERACTIVE else INTERACTIVE
    others = quick_redis_client().mget([_key(second, other, name) for name in names])
    for name, hit, other_count in zip(names, hits, others, strict=True):
        limit = limits[name]
        other_used = int(other_count or 0)
        if priority == BACKGROUND:
            fits = hit <= budget.background_cap(limit) and hit + min(other_used, limit) <= limit
        else:
            fits = hit + min(other_used, budget.background_cap(limit)) <= limit
        if not fits:
            uncount_hits(own)
            return False
    return True


def acquire_provider_slot(
    *, operation: str, priority: str | None = None, budget: Budget | None = None, timeout: float | None = None
) -> None:
    """Wait until this process may make one ``operation`` call (``POST /v1/payment_intents``);
    raise RateLimited if none came within ``timeout`` (by priority: WAIT_FOR_SLOT)."""
    priority = priority or current_priority()
    budget = budget or Budget.from_settings()
    if not budget.limits(operation):
        return
    wait = WAIT_FOR_SLOT[priority] if timeout is None else timeout
    deadline = time.monotonic() + wait
    while True:
        now = time.time()
        try:
            if _try_take(operation, priority, budget, int(now)):
                return
        except redis.RedisError as error:
            log.warning("provider call %s let through: Redis did not answer (%s)", operation, error)
            return
        if time.monotonic() >= deadline:
            raise RateLimited(f"no provider request slot for {operation} within {wait} s", code="rate_limit")
        # The next second, spread over its first 50 ms so waiting callers do not all come at once.
        time.sleep(math.floor(now) + 1 - now + random.uniform(0, 0.05))  # noqa: S311 (jitter, not a secret)


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
