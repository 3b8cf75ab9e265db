"""One API class per operation, several operations on one URL.

The API contract (docs/api.md) puts several operations on one URL: ``GET /api/campaigns/``
lists, ``POST /api/campaigns/`` creates. Each operation is its own API class (nested
InputSerializer / OutputSerializer, no logic); a ``MethodRoutes`` subclass is the URL's tiny
dispatcher and nothing else:

    class CampaignsRoutes(MethodRoutes):
        routes = {"get": CampaignListApi, "post": CampaignCreateApi}

A request goes to its method's class exactly as if the URL were routed there (HEAD with GET),
and its answer carries the URL's ``Allow`` header, as one class with all the methods gave it.
OPTIONS and a method the URL does not take are answered by the dispatcher itself (DRF's 405,
the usual error body). The schema documents each method from its own class
(core.openapi.SchemaGenerator).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.http import HttpRequest, HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from rest_framework.views import APIView

if TYPE_CHECKING:
    from rest_framework.views import AsView, GenericView


class MethodRoutes(APIView):
    """The dispatcher of one URL: ``routes`` maps a lower-case method to its API class."""

    routes: dict[str, type[APIView]] = {}

    @property
    def allowed_methods(self) -> list[str]:
        offered = {*self.routes, "options"} | ({"head"} if "get" in self.routes else set())
        return [method.upper() for method in self.http_method_names if method in offered]

    @classmethod
    def as_view(cls, **initkwargs: Any) -> AsView[GenericView]:
        own = super().as_view(**initkwargs)  # OPTIONS and the 405s
        handlers = {method: api.as_view() for method, api in cls.routes.items()}
        if "get" in handlers:
            handlers.setdefault("head", handlers["get"])
        allow = ", ".join(cls().allowed_methods)

        def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            handler = handlers.get(cast(str, request.method).lower(), own)  # a request always has one
            response = handler(request, *args, **kwargs)
            if handler is not own and response.has_header("Allow"):
                response["Allow"] = allow
            return response

        marked: Any = view  # the attributes DRF's as_view gives its view function
        marked.cls = cls
        marked.initkwargs = initkwargs
        marked.view_class = cls
        marked.view_initkwargs = initkwargs
        marked.routes = {method: handlers[method] for method in cls.routes}
        view.__doc__ = cls.__doc__
        view.__name__ = cls.__name__
        # Each API class checks CSRF itself (DRF's SessionAuthentication), as DRF's as_view says.
        return cast("AsView[GenericView]", csrf_exempt(view))
