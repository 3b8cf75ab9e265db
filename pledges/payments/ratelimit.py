"""One Stripe request budget per second, shared by every worker through Redis.

A fixed one-second window (INCR on a key named after the second) is enough here:
collection only needs to stay under the provider's limit, and 429s that slip
through are retried with backoff anyway.
"""

import time

from django.conf import settings

from core.redis_client import redis_client

KEY = "pledgeboard:stripe-rate:{second}"


def acquire_stripe_slot(*, limit: int | None = None, timeout: float = 60.0) -> None:
    """Block until this process may make one Stripe request; raise TimeoutError after ``timeout``."""
    limit = limit or settings.STRIPE_RATE_LIMIT
    client = redis_client()
    deadline = time.monotonic() + timeout
    while True:
        now = time.time()
        second = int(now)
        key = KEY.format(second=second)
        pipe = client.pipeline()
        pipe.incr(key)
        pipe.expire(key, 5)
        used, _ = pipe.execute()
        if used <= limit:
            return
        if time.monotonic() >= deadline:
            raise TimeoutError("no Stripe request slot within the timeout")
        time.sleep(max(second + 1 - now, 0.001))
