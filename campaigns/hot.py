"""The campaign API's hot cache, in one place: what the list and detail views answer from it
(``public_list``, ``public_detail``: the views hand over how to build the body on a miss), and
the same reads served before DRF (``HotCampaignReadsMiddleware``). core.hotcache is the
machinery (generations, entries, invalidation).

Before DRF: through DRF, a cached read paid the view's dispatch (authentication, permissions,
content negotiation) and two round trips to Redis: the anonymous throttle's INCR, then the
cache's MGET. Here, for a request that DRF would answer from the cache anyway (a GET without an
Authorization header or a session cookie, asking for JSON), the throttle's counters and the
cache entry go in one pipeline, one round trip; a current entry is answered at once, with the
headers the view adds (``Allow``, ``Vary``; the middleware around add theirs as for any view).

Anything else goes on to DRF as before: a signed-in caller, a browser asking for HTML, a
missing or stale entry (DRF builds and stores it), and a request over its limit (DRF answers
the 429, with its words and Retry-After). The hit is counted once either way: the throttle
takes the number counted here (core.throttling.COUNTED_HITS). A Redis that does not answer
sends the request to DRF, which copes as it always has.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import resolve
from django.utils.cache import patch_vary_headers

from core.hotcache import LIST_SCOPE, cached, campaign_scope, peek_counting
from core.throttling import COUNTED_HITS, RedisRateThrottle, record_counted_hit

if TYPE_CHECKING:
    from rest_framework.views import AsView, GenericView

log = logging.getLogger(__name__)

DETAIL = re.compile(r"/api/campaigns/(?P<campaign_id>[0-9]+)/")
LIST = "/api/campaigns/"
JSON_ACCEPTED = frozenset({"", "*/*", "application/json"})


DETAIL_ENTRY = "detail.json"


def _json(request) -> bool:
    return request.accepted_renderer.format == "json"


def public_detail(request, campaign_id: int, build: Callable[[], bytes | None]) -> HttpResponse | None:
    """A public campaign's detail as JSON, as anyone (who can see it) gets it: from the hot cache,
    at most a second old in its totals, exact in its state, words and limited stock (the
    services invalidate it on commit). ``build()``: the body, None for a campaign that is not
    public (drafts and canceled ones differ by who asks). None: answer the ordinary way (not
    public, or not asked for as JSON)."""
    if not _json(request):
        return None
    body = cached(campaign_scope(campaign_id), DETAIL_ENTRY, build)
    return None if body is None else HttpResponse(body, content_type="application/json")


def list_entry(request) -> str:
    """The hot cache's name for the public list at this address (query string included)."""
    return "api:" + hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()[:32]


def public_list(request, build: Callable[[], bytes]) -> HttpResponse | None:
    """Anyone signed out reads the same list: from the hot cache (per address, query string
    included), totals at most a second old, state, words and limited stock exact (any
    campaign's invalidation reaches the lists). ``build()``: the page's body. None: answer the
    ordinary way (signed-in users, whose creators see their drafts and staff everything, and
    other formats than JSON)."""
    if request.user.is_authenticated or not _json(request):
        return None
    return HttpResponse(cached(LIST_SCOPE, list_entry(request), build), content_type="application/json")


# --- the same reads before DRF ------------------------------------------------------------


class _Route:
    """A URL the middleware answers: the API class that reads it (its throttles count the hit)
    and the headers DRF gives its answers (the URL's ``Allow``, ``Vary``)."""

    def __init__(self, name: str, path: str):
        self.name = name
        url_class = cast("AsView[GenericView]", resolve(path).func).cls
        self.view_class = getattr(url_class, "routes", {}).get("get", url_class)
        view: Any = url_class()  # it may be given the head Django's View.setup adds
        if hasattr(view, "get") and not hasattr(view, "head"):
            view.head = view.get  # as Django's View.setup does for every request
        self.headers = {"Allow": ", ".join(view.allowed_methods)}
        self.vary = ["Accept"] if len(self.view_class.renderer_classes) > 1 else []


def _anonymous_json_get(request) -> bool:
    if request.method != "GET" or "HTTP_AUTHORIZATION" in request.META:
        return False
    # rest_framework.test.force_authenticate signs a caller in without a header; DRF's Request
    # honours it, so does this.
    if getattr(request, "_force_auth_user", None) is not None or getattr(request, "_force_auth_token", None):
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "format" in request.GET:
        return False
    if request.META.get("HTTP_ACCEPT", "").strip() not in JSON_ACCEPTED:
        return False
    # What DRF's session authentication asks (no cookie: no query; it marks the session read,
    # so Django adds Vary: Cookie here as it does there).
    return not request.user.is_authenticated


class HotCampaignReadsMiddleware:
    """Innermost: every other middleware runs around it as around a view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.routes: dict[str, _Route] = {}

    def _route(self, name: str, path: str) -> _Route:
        if name not in self.routes:  # on the first request: the URLconf is loaded by then
            self.routes[name] = _Route(name, path)
        return self.routes[name]

    def __call__(self, request):
        path = request.path_info
        if path == LIST:
            route, scope = self._route("campaign-list", path), LIST_SCOPE
        elif (found := DETAIL.fullmatch(path)) is not None:
            route, scope = self._route("campaign-detail", path), campaign_scope(int(found["campaign_id"]))
        else:
            return self.get_response(request)
        if not _anonymous_json_get(request):
            return self.get_response(request)
        response = self._from_cache(request, route, scope)
        return response if response is not None else self.get_response(request)

    def _from_cache(self, request, route: _Route, scope: str) -> HttpResponse | None:
        throttles = [throttle() for throttle in route.view_class.throttle_classes]
        if not all(isinstance(throttle, RedisRateThrottle) for throttle in throttles):
            return None  # a throttle of another kind: DRF's own way
        counting = [(throttle, throttle.counter_for(request)) for throttle in throttles]
        counting = [(throttle, counter) for throttle, counter in counting if counter is not None]
        try:
            name = DETAIL_ENTRY if route.name == "campaign-detail" else list_entry(request)
            hits, body = peek_counting(scope, name, [counter for _, counter in counting])
        except redis.RedisError as error:
            log.warning("hot reads: Redis did not answer (%s); DRF serves the request", error)
            return None
        throttled = False
        for (throttle, _counter), hit in zip(counting, hits, strict=True):
            record_counted_hit(request, scope=throttle.scope, hits=hit, wait_seconds=throttle.wait_seconds)
            throttled |= hit > throttle.num_requests
        if throttled or body is None:
            return None
        request.__dict__.pop(COUNTED_HITS, None)  # answered here: nothing left to count
        request.metrics_route = route.name
        response = HttpResponse(body, content_type="application/json")
        for header, value in route.headers.items():
            response[header] = value
        patch_vary_headers(response, route.vary)
        return response
