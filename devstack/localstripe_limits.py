"""Stripe's request limits in localstripe: 429s as Stripe answers them, and a count of the calls.

Stripe (docs.stripe.com/rate-limits) allows an account about 100 requests a second in live
mode (25 in test mode), and each operation (``POST /v1/payment_intents``: a method and a path
with the ids left out) at most 25 a second unless it raises that for the account. Past either,
it answers HTTP 429 with::

    {"error": {"type": "invalid_request_error", "code": "rate_limit",
               "message": "Request rate limit exceeded. ...", "doc_url": "..."}}

The request was not carried out, so sending it again later is safe: the answer says so in
``Stripe-Should-Retry: true`` (the header Stripe's SDKs obey; ``false`` would mean "do not").

Here each limit is a fixed one-second window (wall clock, so the app's own budget in
pledges/payments/ratelimit.py lines up with it); a refused request does not count. The limits
come from ``LOCALSTRIPE_RATE_LIMIT`` (global, default 100) and
``LOCALSTRIPE_OPERATION_RATE_LIMIT`` (per operation, default 25); 0 turns one off.

Only the API (``/v1/…``) is limited and counted. ``/_config/limits`` is for tests:

* ``GET``: the limits, and since start (or the last reset) the calls answered and the 429s
  sent, by operation: ``{"rate_limit": 100, "operation_rate_limit": 25, "calls": {...},
  "rate_limited": {...}}``;
* ``POST`` (JSON ``{"rate_limit": 10, "operation_rate_limit": 5}``, either optional): new limits;
* ``DELETE``: the limits back to the environment's, the counts to zero.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter

from aiohttp import web

RATE_LIMIT_ENV = "LOCALSTRIPE_RATE_LIMIT"
OPERATION_RATE_LIMIT_ENV = "LOCALSTRIPE_OPERATION_RATE_LIMIT"
DEFAULT_RATE_LIMIT = 100
DEFAULT_OPERATION_RATE_LIMIT = 25

RATE_LIMITED_BODY = {
    "error": {
        "type": "invalid_request_error",
        "code": "rate_limit",
        "message": "Request rate limit exceeded. You can learn more about rate limits here "
        "https://stripe.com/docs/rate-limits.",
        "doc_url": "https://stripe.com/docs/error-codes/rate-limit",
    }
}

# An object's id (pi_3Q…, seti_…, cus_…): one operation whatever the id.
_OBJECT_ID = re.compile(r"[a-z]+_[A-Za-z0-9]+")


def operation(method: str, path: str) -> str:
    """``POST /v1/setup_intents/{id}/confirm``: paths run /v1/<resource>/<id>/<action>/…, so an
    id only ever follows a resource's name (the same rule as the app's metrics)."""
    parts = path.split("/")
    segments = [
        "{id}" if index >= 3 and index % 2 == 1 and _OBJECT_ID.fullmatch(part) else part
        for index, part in enumerate(parts)
    ]
    return f"{method.upper()} {'/'.join(segments)}"


def _env_limit(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


class Limits:
    """The budget of the current second, global and per operation; every call counted."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.rate_limit = _env_limit(RATE_LIMIT_ENV, DEFAULT_RATE_LIMIT)
        self.operation_rate_limit = _env_limit(OPERATION_RATE_LIMIT_ENV, DEFAULT_OPERATION_RATE_LIMIT)
        self.second = 0
        self.used: Counter[str] = Counter()  # this second: "*" and each operation
        self.calls: Counter[str] = Counter()
        self.rate_limited: Counter[str] = Counter()

    def admit(self, name: str, now: float) -> bool:
        second = int(now)
        if second != self.second:
            self.second = second
            self.used.clear()
        over_global = 0 < self.rate_limit <= self.used["*"]
        over_operation = 0 < self.operation_rate_limit <= self.used[name]
        if over_global or over_operation:
            self.rate_limited[name] += 1
            return False
        self.used["*"] += 1
        self.used[name] += 1
        self.calls[name] += 1
        return True

    def state(self) -> dict:
        return {
            "rate_limit": self.rate_limit,
            "operation_rate_limit": self.operation_rate_limit,
            "calls": dict(self.calls),
            "rate_limited": dict(self.rate_limited),
        }


def limits_middleware(limits: Limits):
    @web.middleware
    async def limit(request: web.Request, handler):
        if request.path.startswith("/v1/") and not limits.admit(operation(request.method, request.path), time.time()):
            return web.json_response(RATE_LIMITED_BODY, status=429, headers={"Stripe-Should-Retry": "true"})
        return await handler(request)

    return limit


def _config_routes(limits: Limits) -> list[web.RouteDef]:
    async def show(request: web.Request) -> web.Response:
        return web.json_response(limits.state())

    async def change(request: web.Request) -> web.Response:
        body = await request.json()
        for name in ("rate_limit", "operation_rate_limit"):
            if name in body:
                value = body[name]
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    return web.json_response({"error": f"{name} must be a whole number >= 0"}, status=400)
                setattr(limits, name, value)
        return web.json_response(limits.state())

    async def reset(request: web.Request) -> web.Response:
        limits.reset()
        return web.json_response(limits.state())

    return [
        web.get("/_config/limits", show),
        web.post("/_config/limits", change),
        web.delete("/_config/limits", reset),
    ]


def install(app: web.Application) -> Limits:
    """Limit and count ``app``'s API: the first middleware, so a refused request costs nothing
    (not even the emulated latency) and every answered one is counted once."""
    limits = Limits()
    app.middlewares.insert(0, limits_middleware(limits))
    app.router.add_routes(_config_routes(limits))
    return limits
