"""Idempotency keys for pledge requests (the API's Idempotency-Key header, the web form's token).

A double click or a client retry sends the same request twice. The first request to
insert the key runs; a repeat with the same key and body gets the first answer again,
waiting a little if the first is still running; the same key with another body is
refused (422). Answers that say "try again" (5xx, 429) are not kept, so the retry runs.
"""

import hashlib
import json
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, InvalidInput, Unprocessable
from core.money import is_plain_amount
from pledges.models import IdempotencyKey

# How long a repeat waits for the first request's answer (saving a card takes a few provider calls).
WAIT_FOR_FIRST = timedelta(seconds=15)
# A first request that never answered (its process died) gives up its key after this long.
ABANDONED_AFTER = timedelta(minutes=5)
KEEP_FOR = timedelta(hours=24)
POLL_SECONDS = 0.05


def request_fingerprint(path: str, body: object) -> str:
    """A hash of the request as it is meant: numbers and amounts by value ("5.0", "5.00", 5 and
    the JSON number 5.00 are one amount, as they are one to the services), keys in any order."""
    canonical = json.dumps({"path": path, "body": _canonical(body)}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _canonical(value: object) -> object:
    if isinstance(value, dict):  # a QueryDict of a form body too: its last value per key, as DRF reads it
        return {str(key): _canonical(value[key]) for key in value}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | Decimal) or (isinstance(value, str) and is_plain_amount(value)):
        number = Decimal(value).normalize()
        return format(number, "f") if number.is_finite() else str(value)
    return value


def idempotent(*, user: User, key: str, fingerprint: str, run: Callable[[], tuple[int, object]]) -> tuple[int, object]:
    """(status, body) of ``run()``, or of the first request that used this key."""
    if not key or len(key) > 255 or not key.isprintable():
        raise InvalidInput(_("An Idempotency-Key is 1 to 255 printable characters."), code="invalid_idempotency_key")
    record = _claim(user=user, key=key, fingerprint=fingerprint)
    if record.response_status is not None:
        return record.response_status, record.response_body
    try:
        status, body = run()
    except BaseException:
        IdempotencyKey.objects.filter(pk=record.pk).delete()  # nothing answered: a retry runs afresh
        raise
    if status >= 500 or status == 429:
        IdempotencyKey.objects.filter(pk=record.pk).delete()
    else:
        IdempotencyKey.objects.filter(pk=record.pk).update(response_status=status, response_body=body)
    return status, body


def _claim(*, user: User, key: str, fingerprint: str) -> IdempotencyKey:
    """Our own new record (unanswered), or the first request's answered one."""
    deadline = time.monotonic() + WAIT_FOR_FIRST.total_seconds()
    while True:
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(user=user, key=key, request_hash=fingerprint)
        except IntegrityError:
            pass
        first = IdempotencyKey.objects.filter(user=user, key=key).first()
        if first is None:
            continue  # the first request failed and let go of the key: run it ourselves
        if first.request_hash != fingerprint:
            raise Unprocessable(
                _("This Idempotency-Key was used for a different request."), code="idempotency_key_reused"
            )
        if first.response_status is not None:
            return first
        if timezone.now() - first.created_at > ABANDONED_AFTER:
            IdempotencyKey.objects.filter(pk=first.pk, response_status__isnull=True).delete()
            continue
        if time.monotonic() > deadline:
            raise Conflict(
                _("A request with this Idempotency-Key is still being answered."), code="idempotency_in_flight"
            )
        time.sleep(POLL_SECONDS)


def idempotency_keys_forget(*, now=None) -> int:
    """Keys are kept a day, as the payment provider keeps its own."""
    now = now or timezone.now()
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=now - KEEP_FOR).delete()
    return deleted
