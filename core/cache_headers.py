"""Personal answers stay out of every cache: ``Cache-Control: no-store``, set in this one place.

An answer is personal when its path is one of PERSONAL_PATHS (a backer's pledges, the
checkout, the studio, account and sign-in pages, the API's pledges, tokens and exports,
whoever asks) or when the request is someone's (a signed-in session, or an ``Authorization``
header, which DRF reads only later, inside the view). Everything else, such as an anonymous
visitor's campaign list and pages, keeps today's headers and stays cacheable. A view that set
Cache-Control itself (never_cache, an immutable image, an export) keeps its own.
"""

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control

PERSONAL_PATHS = re.compile(
    r"^/(?:"
    r"api/(?:pledges|auth|me|exports)(?:/|$)"
    r"|api/campaigns/[^/]+/backers\.csv$"
    r"|me/|studio/|campaigns/[^/]+/pledge/"
    r"|login/|logout/|register/|password-reset/|verify/|unsubscribe/|admin/"
    r")"
)


def is_personal(request: HttpRequest) -> bool:
    if PERSONAL_PATHS.match(request.path):
        return True
    if "HTTP_AUTHORIZATION" in request.META:
        return True
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


class NoStoreForPersonalMiddleware:
    """After AuthenticationMiddleware (it reads request.user)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if "Cache-Control" not in response and is_personal(request):
            patch_cache_control(response, no_store=True, private=True)
        return response
