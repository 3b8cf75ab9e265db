"""Probes. /livez: the process answers (no dependency is asked, so an outage elsewhere never
restarts a healthy process). /readyz (and /healthz): the database and the broker answer,
so this instance can take traffic; the payment provider's status is reported from a cache
shared by all instances, asked at most every PROVIDER_STATUS_TTL seconds, and never makes
an instance unready: a Stripe outage must not take every web node out of the pool."""

import contextlib

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse

from pledges.payments import get_gateway

PROVIDER_STATUS_KEY = "health:payments"


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def _state(check) -> str:
    try:
        check()
        return "ok"
    except Exception as error:  # any failure means "down", never a 500
        return f"down: {type(error).__name__}"


def payments_status() -> str:
    status = _cached(PROVIDER_STATUS_KEY)
    if status is None:
        status = _state(get_gateway().ping)
        # The cache is the broker's Redis, whose state is reported on its own.
        with contextlib.suppress(Exception):
            cache.set(PROVIDER_STATUS_KEY, status, timeout=settings.PROVIDER_STATUS_TTL)
    return status


def _cached(key: str) -> str | None:
    with contextlib.suppress(Exception):
        return cache.get(key)
    return None


def livez(request):
    return JsonResponse({"status": "ok"})


def readyz(request):
    required = {"database": _state(_database), "broker": _state(_broker)}
    down = [name for name, state in required.items() if state != "ok"]
    payments = payments_status()
    body = {"status": "ok" if not down else "unavailable", "checks": {**required, "payments": payments}}
    if down:
        body["down"] = down
    if payments != "ok":
        body["degraded"] = ["payments"]
    return JsonResponse(body, status=200 if not down else 503)
