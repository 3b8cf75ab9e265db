"""Prometheus metrics, safe with many processes and many nodes.

Two kinds, chosen by where the truth lives:

* Per process, summed per node: request latency by route. prometheus_client's multiprocess
  mode when PROMETHEUS_MULTIPROC_DIR is set (config/gunicorn.py makes one per node, so all of
  gunicorn's processes add up on every scrape), its ordinary registry otherwise (runserver,
  tests). Each node is scraped on its own, as Prometheus does.
* Shared by the whole site, read at scrape time: counters kept in Redis (provider calls by
  operation and outcome: the web's pledges and the workers' charges alike, every node), the
  Celery queues' depth (LLEN of the broker's lists), and gauges computed from the database by
  hooks that the apps register (``register_gauge``: collection progress, and payouts pending
  once that app exists). Every node reports the same values for these; alert on one node's
  (``max without (instance)``).

No request waits on Redis to count itself: only the provider calls count in Redis (one
HINCRBY beside a call to the provider that takes a hundred times longer).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import CollectorRegistry, Histogram, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from core.redis_client import quick_redis_client, redis_client

log = logging.getLogger(__name__)

PROVIDER_CALLS_KEY = "pledgeboard:metrics:provider_calls"
_FIELD_SEPARATOR = "\t"
# kombu's Redis transport keeps a queue's prioritised messages in lists beside the queue's own.
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUEST_LATENCY = Histogram(
    "pledgeboard_http_request_duration_seconds",
    "Time from the request's arrival to its answer, by route (the URL pattern's name).",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


def route_of(request: HttpRequest) -> str:
    """The URL pattern's name (``campaign-detail``), never the raw path: one series per route."""
    named: str | None = getattr(request, "metrics_route", None)
    if named:
        return named
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unnamed"


class RequestMetricsMiddleware:
    """Outermost: the time of everything, middleware included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in _METHODS else "other"
        REQUEST_LATENCY.labels(route_of(request), method, str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response


# --- shared counters and gauges --------------------------------------------------------------


# After Redis fails to take a count, counts are dropped for this long instead of each one
# waiting on it again: a pledge made while Redis is down must not wait for its metrics.
COUNTER_PAUSE_AFTER_FAILURE = 10.0
_counting_paused_until = 0.0


def count_provider_call(*, operation: str, outcome: str) -> None:
    """One call to the payment provider; never fails or delays the caller (a lost count is only a count)."""
    global _counting_paused_until
    if time.monotonic() < _counting_paused_until:
        return
    try:
        quick_redis_client().hincrby(PROVIDER_CALLS_KEY, f"{operation}{_FIELD_SEPARATOR}{outcome}", 1)
    except redis.RedisError as error:
        _counting_paused_until = time.monotonic() + COUNTER_PAUSE_AFTER_FAILURE
        log.warning("could not count a provider call (counting paused %.0f s): %s", COUNTER_PAUSE_AFTER_FAILURE, error)


@dataclass(frozen=True)
class GaugeHook:
    name: str
    documentation: str
    labelnames: tuple[str, ...]
    read: Callable[[], Iterable[tuple[tuple[str, ...], float]]]


_gauge_hooks: dict[str, GaugeHook] = {}


def register_gauge(
    name: str,
    documentation: str,
    labelnames: Iterable[str],
    read: Callable[[], Iterable[tuple[tuple[str, ...], float]]],
) -> None:
    """A gauge computed at scrape time by ``read()``: (label values, value) pairs. Apps register
    theirs when they load (e.g. ``pledgeboard_payouts_pending``); a second registration of a
    name replaces the first."""
    _gauge_hooks[name] = GaugeHook(name, documentation, tuple(labelnames), read)


def queue_names() -> list[str]:
    return [queue.name for queue in settings.CELERY_TASK_QUEUES]


class SharedCollector:
    """What every node reads from Redis and the database when it is scraped."""

    def collect(self) -> Iterator[Metric]:
        client = redis_client()
        queues = queue_names()
        try:
            pipe = client.pipeline(transaction=False)
            pipe.hgetall(PROVIDER_CALLS_KEY)
            for queue in queues:
                for suffix in _PRIORITY_SUFFIXES:
                    pipe.llen(queue + suffix)
            pipe.hlen("unacked")
            answers = pipe.execute()
        except redis.RedisError as error:
            log.warning("metrics: Redis did not answer: %s", error)
            answers = None
        if answers is not None:
            calls = CounterMetricFamily(
                "pledgeboard_provider_calls",
                "Calls to the payment provider by operation (method and path) and outcome "
                "(ok, declined, rate_limited, client_error, server_error, network_error).",
                labels=["operation", "outcome"],
            )
            for field, count in sorted(answers[0].items()):
                operation, _, outcome = field.decode().partition(_FIELD_SEPARATOR)
                calls.add_metric([operation, outcome], int(count))
            yield calls
            depth = GaugeMetricFamily(
                "pledgeboard_celery_queue_depth", "Messages waiting in a Celery queue.", labels=["queue"]
            )
            lengths = answers[1:-1]
            step = len(_PRIORITY_SUFFIXES)
            for index, queue in enumerate(queues):
                depth.add_metric([queue], sum(lengths[index * step : (index + 1) * step]))
            yield depth
            yield GaugeMetricFamily(
                "pledgeboard_celery_unacked_messages",
                "Messages handed to a worker and not acknowledged yet (redelivered after the visibility timeout).",
                value=answers[-1],
            )
        for hook in list(_gauge_hooks.values()):
            family = GaugeMetricFamily(hook.name, hook.documentation, labels=list(hook.labelnames))
            try:
                for labels, value in hook.read():
                    family.add_metric(list(labels), value)
            except Exception:
                log.exception("metrics: the gauge %s could not be read", hook.name)
                continue
            yield family


def exposition() -> bytes:
    """The text a scrape gets: this node's processes, then what the site shares."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # unannotated upstream
    else:
        registry.register(_ThisProcess())
    registry.register(SharedCollector())
    return generate_latest(registry)


class _ThisProcess:
    """The request histogram of a single process (no multiprocess directory)."""

    def collect(self) -> Iterator[Metric]:
        yield from REQUEST_LATENCY.collect()
