"""One Stripe request budget per second, shared by every worker through Redis.

A fixed one-second window counted with the primitive of the API throttles and the login
limits (``core.throttling.count_hit``: one atomic INCR per request) is enough here:
collection only needs to stay under the provider's limit, and 429s that slip through are
retried with backoff anyway. It counts on the regular client (core/redis_client.py), which
retries a Redis that hesitates, not on the throttles' quick one: a charge waits rather than fails.
"""

import time

from django.conf import settings

from core.redis_client import redis_client
from core.throttling import count_hit

KEY = "pledgeboard:stripe-rate:{second}"


def acquire_stripe_slot(*, limit: int | None = None, timeout: float = 60.0) -> None:
    """Block until this process may make one Stripe request; raise TimeoutError after ``timeout``."""
    limit = limit or settings.STRIPE_RATE_LIMIT
    deadline = time.monotonic() + timeout
    while True:
        now = time.time()
        second = int(now)
        if count_hit(KEY.format(second=second), 1, client=redis_client()) <= limit:
            return
        if time.monotonic() >= deadline:
            raise TimeoutError("no Stripe request slot within the timeout")
        time.sleep(max(second + 1 - now, 0.001))
