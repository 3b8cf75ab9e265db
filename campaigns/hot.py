"""Anonymous reads of the campaign list and detail API served from the hot cache before DRF.

Through DRF a cached read paid the view's dispatch (authentication, permissions, content
negotiation) and two round trips to Redis: the anonymous throttle's INCR, then the cache's
MGET. Here, for a request that DRF would answer from the cache anyway (a GET without an
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

import logging
import re

import redis
from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers

from campaigns.api import PUBLIC_DETAIL_ENTRY, CampaignDetailApi, CampaignListCreateApi, public_list_entry
from core.hotcache import LIST_SCOPE, campaign_scope, peek_counting
from core.throttling import COUNTED_HITS, RedisRateThrottle, record_counted_hit

log = logging.getLogger(__name__)

DETAIL = re.compile(r"/api/campaigns/(?P<campaign_id>[0-9]+)/")
LIST = "/api/campaigns/"
JSON_ACCEPTED = frozenset({"", "*/*", "application/json"})


class _Route:
    def __init__(self, name: str, view_class):
        self.name = name
        self.view_class = view_class
        view = view_class()
        if hasattr(view, "get") and not hasattr(view, "head"):
            view.head = view.get  # as Django's View.setup does for every request
        self.headers = {"Allow": ", ".join(view.allowed_methods)}
        self.vary = ["Accept"] if len(view_class.renderer_classes) > 1 else []


DETAIL_ROUTE = _Route("campaign-detail", CampaignDetailApi)
LIST_ROUTE = _Route("campaign-list", CampaignListCreateApi)


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

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path == LIST:
            route, scope = LIST_ROUTE, LIST_SCOPE
        elif (found := DETAIL.fullmatch(path)) is not None:
            route, scope = DETAIL_ROUTE, campaign_scope(int(found["campaign_id"]))
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
            name = PUBLIC_DETAIL_ENTRY if route is DETAIL_ROUTE else public_list_entry(request)
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
