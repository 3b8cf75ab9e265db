"""A snapshot of localstripe's store and a way back to it, for tests.

Tests that build their data once per module (tests/support/once.py) roll each test's database
writes back to a savepoint; ``POST /_config/snapshot`` keeps the provider's objects as they were
then and ``POST /_config/snapshot/restore`` puts them back after each test, so a refund or a
charge one test made at the provider is not there for the next. ``DELETE /_config/snapshot``
forgets it. Everything the emulator keeps
(Connect's accounts and transfers, idempotency answers) is in its one store.
"""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web
from localstripe import resources

_saved: dict[str, Any] | None = None


async def save(request: web.Request) -> web.Response:
    global _saved
    _saved = copy.deepcopy(dict(resources.store))
    return web.Response()


async def restore(request: web.Request) -> web.Response:
    if _saved is None:
        return web.json_response({"error": {"message": "no snapshot was taken"}}, status=409)
    resources.store.clear()
    resources.store.update(copy.deepcopy(_saved))
    return web.Response()


async def drop(request: web.Request) -> web.Response:
    global _saved
    _saved = None
    return web.Response()


def install(app: web.Application) -> None:
    app.router.add_post("/_config/snapshot", save)
    app.router.add_delete("/_config/snapshot", drop)
    app.router.add_post("/_config/snapshot/restore", restore)
