"""Hot reads (a campaign's API detail and its page) cached in Redis, with exact invalidation.

Each cached thing belongs to a *scope* (``campaign:<id>``) that has a generation number
in Redis. An entry is stored with the generation read *before* the database was read
to build it, and lives ``ttl`` (one second). A read fetches the generation and the
entry in one round trip (MGET) and serves the entry only if both generations match.

* What may lag (running totals, backers, a tier's claimed count) is at most ``ttl`` old.
* What must not (a state change, an edit, a limited tier's stock: a tier must never show
  as available once it is sold out) bumps the generation when its transaction commits:
  from then on no entry built earlier is served, in any process. An entry built while
  the change was being committed carries the old generation, so it is never served
  after the bump either.

Redis down: reads are built from the database every time, nothing fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

import redis
from django.db import transaction
from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from core.redis_client import redis_client

log = logging.getLogger(__name__)

TTL_MS = 1000
GENERATION = "pledgeboard:gen:{scope}"
ENTRY = "pledgeboard:hot:{scope}:{name}"


def campaign_scope(campaign_id: int) -> str:
    return f"campaign:{campaign_id}"


def cached(scope: str, name: str, build: Callable[[], bytes | None], *, ttl_ms: int = TTL_MS) -> bytes | None:
    """The entry ``name`` of ``scope``, from Redis if current, else ``build()`` (stored unless None)."""
    generation_key, entry_key = GENERATION.format(scope=scope), ENTRY.format(scope=scope, name=name)
    client = redis_client()
    try:
        generation, entry = client.mget(generation_key, entry_key)
    except redis.RedisError as error:
        log.warning("hot cache unavailable: %s", error)
        return build()
    generation = generation or b"0"
    if entry is not None:
        stored, _, body = entry.partition(b"\n")
        if stored == generation:
            return body
    body = build()
    if body is not None:
        try:
            client.set(entry_key, generation + b"\n" + body, px=ttl_ms)
        except redis.RedisError as error:
            log.warning("hot cache unavailable: %s", error)
    return body


def invalidate(scope: str) -> None:
    """Once the current transaction commits (at once outside one), no entry of ``scope`` built
    before is served again."""
    transaction.on_commit(lambda: _bump(scope))


def _bump(scope: str) -> None:
    try:
        redis_client().incr(GENERATION.format(scope=scope))
    except redis.RedisError as error:
        # Entries still expire within their TTL; log loudly, a stale stock figure may show meanwhile.
        log.error("could not invalidate the hot cache of %s: %s", scope, error)


def cached_page(scope_of: Callable[..., str | None]):
    """A view decorator: the page as a visitor without cookies gets it (no session, no
    messages, no CSRF token: the same bytes for all of them, per language), from the hot
    cache. ``scope_of(**view_kwargs)`` names the page's scope (None: not cached). Any other
    request, and any answer but a plain 200 that sets no cookie, goes through the view."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method != "GET" or request.COOKIES or request.GET:
                return view(request, *args, **kwargs)
            scope = scope_of(**kwargs)
            if scope is None:
                return view(request, *args, **kwargs)
            built = []

            def build() -> bytes | None:
                response = view(request, *args, **kwargs)
                built.append(response)
                if response.status_code != 200 or response.cookies or response.streaming:
                    return None
                return response.content

            body = cached(scope, f"page:{request.path}:{translation.get_language()}", build)
            if built:
                return built[0]
            response = HttpResponse(body, content_type="text/html; charset=utf-8")
            patch_vary_headers(response, ("Cookie",))  # signed-in visitors get another page
            return response

        return wrapper

    return decorator
