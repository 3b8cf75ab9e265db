"""Every API error is JSON: {"detail": "...", "code": "...", ["errors": {...}]}.

DRF's exception_handler shapes what the views raise; the handlers (handler400/403/404/500)
shape what Django answers before or around DRF (a body too large, too many form fields, a
disallowed host), and ApiErrorsAsJsonMiddleware any other error page under /api/."""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.defaults import bad_request as page_bad_request
from django.views.defaults import page_not_found
from django.views.defaults import permission_denied as page_permission_denied
from django.views.defaults import server_error as page_server_error
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        headers: dict[str, str] = {}
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        if exc.status_code == 401:  # a 401 names how to authenticate
            headers["WWW-Authenticate"] = 'Token realm="api"'
        body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
        if exc.field and exc.status_code == 400:  # field errors belong to validation answers
            body["errors"] = {exc.field: [exc.message]}
        return Response(body, status=exc.status_code, headers=headers)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "detail": _("Invalid input."),
            "code": "invalid",
            "errors": response.data if isinstance(response.data, dict) else {"non_field_errors": response.data},
        }
    elif isinstance(response.data, dict) and "detail" in response.data:
        detail = response.data["detail"]
        response.data = {"detail": str(detail), "code": getattr(detail, "code", None) or _code(exc)}
    return response


def _code(exc: Exception) -> str:
    if isinstance(exc, Http404):
        return "not_found"
    if isinstance(exc, PermissionDenied):
        return "permission_denied"
    codes: dict[int, str] = {status.HTTP_404_NOT_FOUND: "not_found"}
    return codes.get(getattr(exc, "status_code", 0), "error")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: the API answers JSON even for URLs no route matches (e.g. /api/pledges/-1/)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found."), "code": "not_found"}, status=404)
    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: JSON for the API (its clients parse JSON), the site's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Something went wrong on our side."), "code": "server_error"}, status=500)
    return page_server_error(request)


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400 (Django's answer to a SuspiciousOperation): JSON for the API. A body beyond
    DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 there, too many fields or files (DATA_UPLOAD_MAX_NUMBER_FIELDS,
    DATA_UPLOAD_MAX_NUMBER_FILES) a 400 that says so."""
    if not is_api(request):
        return page_bad_request(request, exception)  # type: ignore[arg-type]  # Django's page takes None too
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse({"detail": _("The request body is too large."), "code": "request_too_large"}, status=413)
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        return JsonResponse({"detail": _("The request has too many fields."), "code": "too_many_fields"}, status=400)
    return JsonResponse({"detail": _("Bad request."), "code": "bad_request"}, status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403: JSON for the API (a PermissionDenied raised outside DRF's views)."""
    if is_api(request):
        return JsonResponse(
            {"detail": _("You do not have permission to do this."), "code": "permission_denied"}, status=403
        )
    return page_permission_denied(request, exception)  # type: ignore[arg-type]  # Django's page takes None too


# What an error without a body of our shape is called, by status.
_DEFAULT_ERRORS = {
    400: (gettext_noop("Bad request."), "bad_request"),
    403: (gettext_noop("You do not have permission to do this."), "permission_denied"),
    404: (gettext_noop("Not found."), "not_found"),
    405: (gettext_noop("This method is not allowed here."), "method_not_allowed"),
    413: (gettext_noop("The request body is too large."), "request_too_large"),
}
_OTHER_ERROR = (gettext_noop("Something went wrong."), "error")
_SERVER_ERROR = (gettext_noop("Something went wrong on our side."), "server_error")
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Cache-Control", "Vary", "X-Request-ID")


class ApiErrorsAsJsonMiddleware:
    """Under /api/ an error answer is JSON whoever made it: a page Django or a middleware answered
    with (an empty 405, a 400 page) becomes {"detail", "code"} with the same status and headers
    that matter. JSON answers pass untouched."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not is_api(request)
            or response.get("Content-Type", "").startswith("application/json")
            or response.streaming
        ):
            return response
        detail, code = (
            _SERVER_ERROR if response.status_code >= 500 else _DEFAULT_ERRORS.get(response.status_code, _OTHER_ERROR)
        )
        converted = JsonResponse({"detail": _(detail), "code": code}, status=response.status_code)
        for header in _KEPT_HEADERS:
            if header in response:
                converted[header] = response[header]
        return converted
