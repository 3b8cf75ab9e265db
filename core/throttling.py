"""API throttles: a fixed-window counter in Redis, one atomic round trip per request.

DRF's own throttles keep a list of timestamps in the cache and read-modify-write it: two
requests at once both see room, so a burst overshoots the limit (183 of 300 passed a
120/minute limit), and each costs two round trips. Here each request is one pipelined
INCR (+ EXPIRE on the window's first hit): Redis counts, so exactly the limit passes.
A window may let up to twice the rate through across its edge, a known trade of fixed
windows. The rate is read from the settings at each request. If Redis does not answer,
requests are let through (and logged): a cache outage must not turn into refused pledges.
The login limits (accounts/login_limits.py) count on the same primitive, ``count_hits``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import redis
from django.conf import settings
from django.http import HttpRequest
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from core.redis_client import quick_redis_client

if TYPE_CHECKING:  # rest_framework.views loads the authentication classes, which import this module
    from rest_framework.request import Request
    from rest_framework.views import APIView

log = logging.getLogger(__name__)


def count_hit(key: str, window_seconds: int, *, client: redis.Redis | None = None) -> int:
    """This hit's number in its window (1 for the first)."""
    return count_hits([(key, window_seconds)], client=client)[0]


def count_hits(counters: Sequence[tuple[str, int]], *, client: redis.Redis | None = None) -> list[int]:
    """One hit on each (key, window seconds) counter; each hit's number in its window, in order.

    One round trip; no MULTI/EXEC needed: INCR is atomic, and EXPIRE NX only sets the first TTL.
    By default on the quick client (core/redis_client.py): a throttle must be quick or absent; a
    caller that would rather wait for Redis (the Stripe budget) passes ``redis_client()``.
    """
    pipe = (client or quick_redis_client()).pipeline(transaction=False)
    for key, window_seconds in counters:
        pipe.incr(key)
        pipe.expire(key, window_seconds + 1, nx=True)
    return pipe.execute()[::2]


def uncount_hits(counters: Sequence[tuple[str, int]]) -> None:
    """Take back one hit from each counter (a hit that turned out not to count); one round trip.

    EXPIRE NX again: a counter that expired in between comes back at -1, and must not stay forever.
    """
    if not counters:
        return
    pipe = quick_redis_client().pipeline(transaction=False)
    for key, window_seconds in counters:
        pipe.decr(key)
        pipe.expire(key, window_seconds + 1, nx=True)
    pipe.execute()


def forget_hits(keys: Sequence[str]) -> None:
    """Drop counters altogether (a limit that a success resets)."""
    if keys:
        quick_redis_client().delete(*keys)


# Where a hit counted ahead of DRF (campaigns.hot: the counter and the cache read in one round
# trip) waits for the throttle, on the Django request: scope -> (the hit's number, wait seconds).
COUNTED_HITS = "_throttle_hits_counted"


def record_counted_hit(request: HttpRequest, *, scope: str, hits: int, wait_seconds: float) -> None:
    counted = request.__dict__.setdefault(COUNTED_HITS, {})
    counted[scope] = (hits, wait_seconds)


class RedisRateThrottle(SimpleRateThrottle):
    # Set by counter_for from the rate before allow_request or wait reads them.
    num_requests: int
    duration: int
    wait_seconds: float

    def get_rate(self) -> str | None:
        rates: dict[str, str | None] = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        return rates.get(self.scope or "")

    def counter_for(self, request: Request, view: APIView | None = None) -> tuple[str, int] | None:
        """The Redis counter this request counts in now and its window (seconds); None if this
        throttle does not count it (no rate, or not its kind of caller). Sets what ``wait`` says."""
        self.rate = self.get_rate()
        if self.rate is None:
            return None
        num_requests, duration = self.parse_rate(self.rate)
        if num_requests is None or duration is None:  # parse_rate gives both for any rate
            return None
        self.num_requests, self.duration = num_requests, duration
        # campaigns.hot counts before there is a view; none of our throttles' keys reads it.
        key = self.get_cache_key(request, view)  # type: ignore[arg-type]
        if key is None:
            return None
        now = time.time()
        window = int(now // self.duration)
        self.wait_seconds = (window + 1) * self.duration - now
        return f"throttle:{key}:{window}", self.duration

    def allow_request(self, request: Request, view: APIView | None) -> bool:
        counter = self.counter_for(request, view)
        if counter is None:
            return True
        key, duration = counter
        counted: dict[str, tuple[int, float]] = getattr(getattr(request, "_request", request), COUNTED_HITS, {})
        if self.scope in counted:
            # Counted ahead of DRF (in that moment's window): the same hit is never counted twice.
            hits, self.wait_seconds = counted.pop(self.scope)
        else:
            try:
                hits = count_hit(key, duration)
            except redis.RedisError as error:
                log.warning("throttle %s let a request through: Redis did not answer (%s)", self.scope, error)
                return True
        return hits <= self.num_requests

    def wait(self) -> float:
        return self.wait_seconds


class AnonThrottle(RedisRateThrottle, AnonRateThrottle):
    """Anonymous requests, per client address (see TRUSTED_PROXIES)."""


class UserThrottle(RedisRateThrottle, UserRateThrottle):
    """Authenticated requests per user. Anonymous ones are AnonThrottle's alone, so an
    anonymous read pays one round trip to Redis, not two."""

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class PledgeRateThrottle(RedisRateThrottle, UserRateThrottle):
    """Pledges per user (API_THROTTLE_PLEDGE)."""

    scope = "pledge"
