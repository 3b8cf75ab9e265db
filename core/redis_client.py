"""One Redis client (and so one connection pool) per process for our own keys: throttles,
the Stripe rate limit and the hot-read cache. redis-py's client is thread-safe; building one
per request would open a connection per request."""

from functools import cache
from typing import Any

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

# Connections one process opens at most; a thread beyond that waits (up to the timeout) for one.
MAX_CONNECTIONS = 64


class _LostReadAsRedisError:
    """redis-py (8.1) lets a ValueError ("I/O operation on closed file") or an AttributeError out
    of a read whose socket buffer was torn down under it (a disconnect from another thread), seen
    on a handshake that timed out under load in `make bench`. Every caller here treats a
    RedisError as "Redis did not answer" (a throttle lets the request through), so this must be
    one too, not a 500."""

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().read_response(*args, **kwargs)  # type: ignore[misc]
        except (ValueError, AttributeError) as error:
            raise redis.ConnectionError(f"the Redis connection was torn down during a read ({error!r})") from error


class Connection(_LostReadAsRedisError, redis.Connection):
    pass


class SSLConnection(_LostReadAsRedisError, redis.SSLConnection):
    pass


def _connection_class(url: str) -> type[redis.Connection]:
    return SSLConnection if url.startswith("rediss://") else Connection


@cache
def _client(url: str) -> redis.Redis:
    pool = redis.BlockingConnectionPool.from_url(
        url,
        connection_class=_connection_class(url),
        max_connections=MAX_CONNECTIONS,
        timeout=5,
        socket_timeout=5,
        socket_connect_timeout=5,
        health_check_interval=30,
    )
    return redis.Redis(connection_pool=pool)


def redis_client() -> redis.Redis:
    """The client for REDIS_URL as it is now (read at each call: one client per URL)."""
    return _client(settings.REDIS_URL)


@cache
def _quick(url: str) -> redis.Redis:
    # No retries (redis-py's default backs off for seconds); a refused or silent server is given up
    # on at once or within the throttle's own timeouts (core/throttling.py).
    return redis.Redis.from_url(
        url,
        connection_class=_connection_class(url),
        socket_connect_timeout=0.5,
        socket_timeout=2,
        retry=Retry(NoBackoff(), 0),
        max_connections=MAX_CONNECTIONS,
    )


def quick_redis_client() -> redis.Redis:
    """For what has a way round a Redis that does not answer (the hot reads go to DRF, a metric
    count is dropped): one quick try, never seconds of retries."""
    return _quick(settings.REDIS_URL)
