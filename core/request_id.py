"""A request id on every log line of a request, and of the Celery tasks it enqueued.

The id comes from the ``X-Request-ID`` header when a proxy in front set a sensible one (up to
200 letters, digits and ``-_.:``), else it is made here; it is echoed in the response's
``X-Request-ID``. Tasks published while it is set carry it in a message header, and the
worker logs the task's lines under it.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
TASK_HEADER = "request_id"
ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{1,200}")

_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def current() -> str | None:
    return _current.get()


def bind(request_id: str | None) -> Token[str | None]:
    """Set the id for what follows in this context; returns the token to ``reset`` with."""
    return _current.set(request_id)


def reset(token: Token[str | None]) -> None:
    _current.reset(token)


def from_header(value: str | None) -> str:
    return value if value and ACCEPTED.fullmatch(value) else uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = from_header(request.headers.get(HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]  # our own attribute, read by the log filter
        token = bind(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Gives every record a ``request_id`` (``-`` outside a request or a task that had one).
    Django logs a 4xx or 5xx answer after the middleware returned it: that record names its
    request, whose id is then used."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get() or getattr(getattr(record, "request", None), "request_id", None) or "-"
        return True


# --- Celery: the id travels in a message header (connected in config/celery_app.py) ---------


def add_to_task_headers(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    request_id = _current.get()
    if request_id and headers is not None:
        headers[TASK_HEADER] = request_id


def bind_for_task(task: Any = None, **kwargs: Any) -> None:
    request = getattr(task, "request", None)
    request_id = getattr(request, TASK_HEADER, None) or (getattr(request, "headers", None) or {}).get(TASK_HEADER)
    _current.set(request_id if isinstance(request_id, str) and ACCEPTED.fullmatch(request_id) else None)


def unbind_after_task(**kwargs: Any) -> None:
    _current.set(None)
