"""Referrals: a campaign link's ``?ref=`` (or an outside page linking to it) is kept for the checkout.

The source is written into a signed cookie, per campaign slug, when a campaign's pages are
visited (``/campaigns/<slug>/…`` and its coming-soon page); the checkout reads it back
(``referral_source_for``) and stores it on the pledge (community.services.referral_record).
The last source that says something wins; a visit that says nothing (direct) keeps the cookie.
"""

import json
import re
from collections.abc import Callable

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

from community.services import referral_source

COOKIE = "pb_ref"
SALT = "community.referral"
MAX_CAMPAIGNS = 10  # kept per browser, the latest ones
PATH = re.compile(r"^/(?:campaigns|soon)/(?P<slug>[-a-zA-Z0-9_]{1,140})/")


def _read(request: HttpRequest) -> dict[str, str]:
    try:
        value = signing.get_cookie_signer(salt=SALT).unsign(request.COOKIES.get(COOKIE, ""))
        data = json.loads(value)
    except (signing.BadSignature, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def referral_source_for(request: HttpRequest, slug: str) -> str | None:
    """The source the browser's visits kept for this campaign (None: direct)."""
    return _read(request).get(slug)


class ReferralMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = PATH.match(request.path)
        if match is None or request.method != "GET" or response.status_code != 200:
            return response
        source = referral_source(
            ref=request.GET.get("ref"), referer=request.META.get("HTTP_REFERER"), own_host=request.get_host()
        )
        if source is None:
            return response
        kept = _read(request)
        slug = match["slug"]
        if kept.get(slug) == source:
            return response
        kept.pop(slug, None)
        kept[slug] = source
        kept = dict(list(kept.items())[-MAX_CAMPAIGNS:])
        value = signing.get_cookie_signer(salt=SALT).sign(json.dumps(kept, separators=(",", ":")))
        response.set_cookie(
            COOKIE,
            value,
            max_age=settings.REFERRAL_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
        return response
