"""Hot reads (a campaign's API detail and its page, the lists of campaigns: the API's and the
home page) cached in Redis, with exact invalidation.

Each cached thing belongs to a *scope* (``campaign:<id>``; ``campaigns`` for the lists,
which every campaign's invalidation bumps too) that has a generation number
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
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any, cast

import redis
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from core.redis_client import quick_redis_client, redis_client

log = logging.getLogger(__name__)

TTL_MS = 1000
GENERATION = "pledgeboard:gen:{scope}"
ENTRY = "pledgeboard:hot:{scope}:{name}"
# The lists of campaigns (the API's and the home page): any campaign's change invalidates them.
LIST_SCOPE = "campaigns"

View = Callable[..., HttpResponse]


def campaign_scope(campaign_id: int) -> str:
    return f"campaign:{campaign_id}"


def _current(generation: bytes | None, entry: bytes | None) -> tuple[bytes, bytes | None]:
    """The scope's generation and the entry's body if it was built in that generation."""
    generation = generation or b"0"
    if entry is not None:
        stored, _, body = entry.partition(b"\n")
        if stored == generation:
            return generation, body
    return generation, None


def cached(scope: str, name: str, build: Callable[[], bytes | None], *, ttl_ms: int = TTL_MS) -> bytes | None:
    """The entry ``name`` of ``scope``, from Redis if current, else ``build()`` (stored unless None)."""
    generation_key, entry_key = GENERATION.format(scope=scope), ENTRY.format(scope=scope, name=name)
    client = redis_client()
    try:
        generation, body = _current(*cast("list[bytes | None]", client.mget(generation_key, entry_key)))
    except redis.RedisError as error:
        log.warning("hot cache unavailable: %s", error)
        return build()
    if body is not None:
        return body
    body = build()
    if body is not None:
        try:
            client.set(entry_key, generation + b"\n" + body, px=ttl_ms)
        except redis.RedisError as error:
            log.warning("hot cache unavailable: %s", error)
    return body


def peek_counting(scope: str, name: str, counters: Sequence[tuple[str, int]]) -> tuple[list[int], bytes | None]:
    """In one round trip: each counter ``(key, window seconds)`` counts a hit (INCR, its expiry set
    on the window's first hit, as core.throttling counts), and the entry ``name`` of ``scope``
    is read. The hits' numbers, and the entry's body if current (None: build it the ordinary
    way, which reads it again). Raises redis.RedisError."""
    pipe = quick_redis_client().pipeline(transaction=False)  # on failure the caller goes the long way
    for key, window in counters:
        pipe.incr(key)
        pipe.expire(key, window + 1, nx=True)
    pipe.mget(GENERATION.format(scope=scope), ENTRY.format(scope=scope, name=name))
    answers = pipe.execute()
    _generation, body = _current(*answers[-1])
    return [answers[index * 2] for index in range(len(counters))], body


def invalidate(*scopes: str) -> None:
    """Once the current transaction commits (at once outside one), no entry of ``scopes`` built
    before is served again."""
    transaction.on_commit(lambda: _bump(scopes))


def invalidate_campaign(campaign_id: int) -> None:
    """A campaign changed in what must show at once: its own entries and the lists it is in."""
    invalidate(campaign_scope(campaign_id), LIST_SCOPE)


def _bump(scopes: tuple[str, ...]) -> None:
    try:
        pipe = redis_client().pipeline(transaction=False)
        for scope in scopes:
            pipe.incr(GENERATION.format(scope=scope))
        pipe.execute()
    except redis.RedisError as error:
        # Entries still expire within their TTL; log loudly, a stale stock figure may show meanwhile.
        log.error("could not invalidate the hot cache of %s: %s", ", ".join(scopes), error)


def _per_visitor(request: HttpRequest) -> bool:
    """Whether building the page made it this visitor's own: a CSRF token (its cookie is set
    by the middleware only after the view), the session written, or a message queued."""
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return True
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return True
    return bool(getattr(getattr(request, "_messages", None), "added_new", False))


def cached_page(scope_of: Callable[..., str | None]) -> Callable[[View], View]:
    """A view decorator: the page as a visitor without cookies gets it (no session, no
    messages, no CSRF token: the same bytes for all of them, per language), from the hot
    cache. ``scope_of(**view_kwargs)`` names the page's scope (None: not cached). Any other
    request (cookies, a query string, not a GET), and any answer but a plain 200 that sets no
    cookie and holds nothing of the visitor's own (a CSRF token, a session, a message), goes
    through the view and is not stored."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method != "GET" or request.COOKIES or request.GET:
                return view(request, *args, **kwargs)
            scope = scope_of(**kwargs)
            if scope is None:
                return view(request, *args, **kwargs)
            built: list[HttpResponse] = []

            def build() -> bytes | None:
                response = view(request, *args, **kwargs)
                built.append(response)
                if response.status_code != 200 or response.cookies or response.streaming or _per_visitor(request):
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
