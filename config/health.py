"""/healthz: can this instance reach the database, the broker and the payment provider?"""

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse

from pledges.payments import get_gateway


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def _payments() -> None:
    get_gateway().ping()


CHECKS = {"database": _database, "broker": _broker, "payments": _payments}


def healthz(request):
    status = {}
    for name, check in CHECKS.items():
        try:
            check()
            status[name] = "ok"
        except Exception as error:  # any failure means "down", never a 500
            status[name] = f"down: {type(error).__name__}"
    down = [name for name, state in status.items() if state != "ok"]
    body = {"status": "ok" if not down else "unavailable", "checks": status}
    if down:
        body["down"] = down
    return JsonResponse(body, status=200 if not down else 503)
