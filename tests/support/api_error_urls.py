"""The site's URLs plus plain Django views (not DRF) under /api/, for the tests of what Django
answers before or outside DRF: a PermissionDenied, a crash, a method the view refuses."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST

from config.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


def _forbidden(request):
    raise PermissionDenied


def _crash(request):
    raise RuntimeError("a bug before DRF")


@require_POST
def _post_only(request):
    return HttpResponse("ok")


urlpatterns = [
    path("api/_plain/forbidden/", _forbidden),
    path("api/_plain/crash/", _crash),
    path("api/_plain/post-only/", _post_only),
    path("_plain/forbidden/", _forbidden),
    *urlpatterns,
]
