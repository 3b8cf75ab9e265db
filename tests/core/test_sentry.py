"""SENTRY_DSN set: a request that fails reaches the error service (a local one, speaking Sentry's
envelope protocol), with the Django and Celery integrations and no personal data; unset: nothing."""

import gzip
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.django_db  # the subprocess uses the test database (worker_env)

FAILING_REQUEST = """
from django.urls import path
import config.urls

def boom(request):
    raise RuntimeError("boom for the error service")

config.urls.urlpatterns.append(path("boom/", boom))
import os
from django.test import Client
# The personal data comes from the environment: the command line is in every report (sys.argv).
Client(raise_request_exception=False).get(
    "/boom/?email=" + os.environ["CHECK_EMAIL"],
    HTTP_COOKIE="sessionid=" + os.environ["CHECK_SESSION"],
    HTTP_AUTHORIZATION="Token " + os.environ["CHECK_TOKEN"],
)
import sentry_sdk
sentry_sdk.flush(timeout=10)
"""


@pytest.fixture
def error_service():
    envelopes: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            envelopes.append(body)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://publickey@127.0.0.1:{server.server_address[1]}/42", envelopes
    server.shutdown()


def _run(dsn: str, worker_env: dict[str, str]) -> None:
    environment = {
        **worker_env,  # the test database
        "SENTRY_DSN": dsn,
        "SENTRY_ENVIRONMENT": "check",
        "CHECK_EMAIL": "ann@example.com",
        "CHECK_SESSION": "secret-session",
        "CHECK_TOKEN": "secret-token",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", FAILING_REQUEST],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def _events(envelopes: list[bytes]) -> list[dict]:
    events = []
    for envelope in envelopes:
        lines = envelope.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                events.append(json.loads(payload))
    return events


def test_an_error_is_reported_without_personal_data(error_service, worker_env):
    dsn, envelopes = error_service

    _run(dsn, worker_env)

    [event] = _events(envelopes)
    exception = event["exception"]["values"][-1]  # the one raised (after any it chains)
    assert (exception["type"], exception["value"]) == ("RuntimeError", "boom for the error service"), exception["value"]
    assert event["environment"] == "check"
    assert {"django", "celery"} <= set(event["sdk"]["integrations"])
    text = json.dumps(event)
    for secret in ("secret-session", "secret-token", "ann@example.com"):
        assert secret not in text, (secret, text[max(0, text.find(secret) - 400) : text.find(secret) + 100])
    assert "user" not in event or not event["user"].get("ip_address")


def test_without_a_dsn_nothing_is_sent(error_service, worker_env):
    _dsn, envelopes = error_service

    _run("", worker_env)

    assert envelopes == []
