"""Tiny HTTP servers on a free local port, for tests that point the real stripe SDK at a provider
that is in trouble, or that answers as real Stripe does where localstripe answers otherwise."""

import copy
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests


@contextmanager
def http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def error_handler(status: int, delay: float = 0.0) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            time.sleep(delay)
            body = json.dumps({"error": {"type": "api_error", "message": "trouble"}}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    return Handler


STRIPE_PAYLOADS = Path(__file__).resolve().parent / "stripe"


@dataclass
class StripeEndpoint:
    """A Stripe endpoint a test points the SDK at, and what it was asked: (method, path, form
    fields) of each request, in order."""

    url: str
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)


@contextmanager
def canned_stripe(payment_intent_decline: str) -> Iterator[StripeEndpoint]:
    """A local stand-in for api.stripe.com that answers ``POST /v1/payment_intents`` with the
    HTTP 402 body of tests/support/stripe/<payment_intent_decline>.json, the intent's amount,
    currency, customer and metadata filled in from the request as Stripe echoes them; any
    other request gets a 404, so a caller that asks for more than that one answer fails."""
    template = json.loads((STRIPE_PAYLOADS / f"{payment_intent_decline}.json").read_text())
    seen: list[tuple[str, str, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            fields = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            fields.update({k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()})
            path = urlsplit(self.path).path
            seen.append((self.command, path, fields))
            if (self.command, path) == ("POST", "/v1/payment_intents"):
                status, body = 402, _declined(template, fields)
            else:
                status, body = 404, {"error": {"type": "invalid_request_error", "message": f"No such route: {path}"}}
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", "req_canned")
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, *args):
            pass

    with http_server(Handler) as url:
        yield StripeEndpoint(url=url, requests=seen)


def _declined(template: dict, fields: dict[str, str]) -> dict:
    body = copy.deepcopy(template)
    intent = body["error"]["payment_intent"]
    intent["amount"] = int(fields["amount"])
    intent["currency"] = fields["currency"]
    intent["customer"] = fields["customer"]
    prefix = "metadata["
    intent["metadata"] = {key[len(prefix) : -1]: value for key, value in fields.items() if key.startswith(prefix)}
    return body


@contextmanager
def recording_proxy(target: str) -> Iterator[StripeEndpoint]:
    """A pass-through to ``target`` (localstripe) that writes down each request it forwards:
    the real SDK talks to the real provider, and a test sees what it was asked."""
    seen: list[tuple[str, str, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def _forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            seen.append((self.command, urlsplit(self.path).path, {k: v[-1] for k, v in parse_qs(raw.decode()).items()}))
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            answer = requests.request(self.command, target + self.path, headers=headers, data=raw, timeout=30)
            self.send_response(answer.status_code)
            self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_POST = do_DELETE = _forward

        def log_message(self, *args):
            pass

    with http_server(Handler) as url:
        yield StripeEndpoint(url=url, requests=seen)
