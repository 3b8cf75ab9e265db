"""X-Request-ID: taken from a proxy when sensible, made otherwise, echoed, written on every log line
of the request (JSON or text, LOG_FORMAT), and carried to the Celery tasks the request enqueued."""

import json
import os
import re
import subprocess
import sys

import pytest
import redis
from django.conf import settings
from django.test import Client

from config.celery_app import app
from core import request_id
from tests.conftest import ROOT, purge_queues

pytestmark = pytest.mark.django_db


def test_a_sensible_id_from_the_proxy_is_kept_and_anything_else_replaced():
    kept = Client().get("/livez", HTTP_X_REQUEST_ID="lb-7f3a:9.2_x")
    made = Client().get("/livez")
    hostile = [
        "a b",
        "x" * 201,
        "line\nbreak",
        "zero\u200bwidth",
        '"><script>',
        "",
        "{" * 10_000,
    ]

    assert kept["X-Request-ID"] == "lb-7f3a:9.2_x"
    assert re.fullmatch(r"[0-9a-f]{32}", made["X-Request-ID"])
    for value in hostile:
        answer = Client().get("/livez", HTTP_X_REQUEST_ID=value)["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", answer), value[:20]


def _log_of_a_404(log_format: str, request_header: str) -> list[str]:
    code = (
        "from django.test import Client; "
        f"Client().get('/api/no-such-thing/', HTTP_X_REQUEST_ID='{request_header}'); "
        "import logging; logging.getLogger('pledgeboard.check').warning('outside any request')"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={**os.environ, "LOG_FORMAT": log_format},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return [line for line in result.stderr.splitlines() if line.strip()]


def test_every_log_line_of_a_request_carries_its_id_as_json():
    lines = [json.loads(line) for line in _log_of_a_404("json", "trace-404")]

    [not_found] = [line for line in lines if line["logger"] == "django.request"]
    assert not_found["request_id"] == "trace-404"
    assert not_found["level"] == "WARNING" and "Not Found: /api/no-such-thing/" in not_found["message"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", not_found["time"])
    [outside] = [line for line in lines if line["logger"] == "pledgeboard.check"]
    assert outside["request_id"] == "-"


def test_text_logs_for_people_carry_it_too():
    lines = _log_of_a_404("text", "trace-text")

    assert any("WARNING [trace-text] django.request: Not Found: /api/no-such-thing/" in line for line in lines)


def test_a_task_enqueued_during_a_request_carries_its_id():
    purge_queues()
    token = request_id.bind("trace-task")
    try:
        app.send_task("closing.tasks.close_due_campaigns")
    finally:
        request_id.reset(token)
    app.send_task("closing.tasks.close_due_campaigns")  # outside a request: no id

    try:
        raw = redis.Redis.from_url(settings.CELERY_BROKER_URL).lrange("default", 0, -1)
    finally:
        purge_queues()
    headers = [json.loads(message)["headers"] for message in reversed(raw)]
    assert [h.get("request_id") for h in headers] == ["trace-task", None]


def test_a_worker_binds_the_task_s_id_and_forgets_it_after():
    class Request:
        request_id = "trace-worker"

    class Task:
        request = Request()

    request_id.bind_for_task(task=Task())
    assert request_id.current() == "trace-worker"
    request_id.unbind_after_task()
    assert request_id.current() is None
    Request.request_id = "bad id\n"
    request_id.bind_for_task(task=Task())
    assert request_id.current() is None
