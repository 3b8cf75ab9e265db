"""API throttles: one atomic round trip to Redis per throttle and request.

DRF's own throttles keep a list of timestamps in the cache: a read, then a write, two
round trips, and no atomicity, so concurrent requests read the same history and all
pass (183 of 300 got through a 120/minute limit). These count in a fixed window instead:
``INCR`` and ``EXPIRE`` of the window's key in one ``MULTI``, so each request gets its
own number and exactly ``limit`` pass per window, whatever the concurrency, in every
process sharing the Redis. The price of a fixed window: a client may spend a window's
budget at its very end and the next one's at the start. The rates are read from the
settings at each request (``API_THROTTLE_*``), so a change in the settings applies at once.
"""

from __future__ import annotations

import time

from django.conf import settings
from rest_framework import throttling

from core.redis_client import redis_client

KEY = "pledgeboard:{ident}:{window}"


class AtomicWindowThrottle:
    """Mixed into DRF's throttle classes: their keys (per user or per address), our counting."""

    scope: str

    def get_rate(self) -> str | None:
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get(self.scope)

    def allow_request(self, request, view) -> bool:
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        ident = self.get_cache_key(request, view)  # DRF's "throttle_<scope>_<user or address>"
        if ident is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        key = KEY.format(ident=ident, window=window)
        pipe = redis_client().pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, self.duration + 1)
        used, _ = pipe.execute()
        self._wait = (window + 1) * self.duration - now
        return used <= self.num_requests

    def wait(self) -> float:
        return max(self._wait, 0.0)


class AnonRateThrottle(AtomicWindowThrottle, throttling.AnonRateThrottle):
    """Anonymous requests per client address (API_THROTTLE_ANON)."""

    def __init__(self) -> None:  # DRF's reads the rate at construction; ours at each request
        pass


class UserRateThrottle(AtomicWindowThrottle, throttling.UserRateThrottle):
    """Requests per signed-in user (API_THROTTLE_USER). DRF's also counts anonymous requests
    by address, which AnonRateThrottle already does with a lower limit: counted once here."""

    def __init__(self) -> None:
        pass

    def get_cache_key(self, request, view) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class PledgeRateThrottle(UserRateThrottle):
    """Pledges per user (API_THROTTLE_PLEDGE); pledging needs a signed-in user."""

    scope = "pledge"
