"""GET /metrics: Prometheus's text format (core/metrics.py), for a scraper holding METRICS_TOKEN.

No token configured: 404, as if there were no such page. A missing or wrong token: 403.
The scraper sends ``Authorization: Bearer <METRICS_TOKEN>``.
"""

import hmac

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.views.decorators.cache import never_cache
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from core.metrics import exposition


@never_cache
def metrics(request):
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(offered.strip().encode(), token.encode()):
        return HttpResponseForbidden("metrics: a bearer token is needed", content_type="text/plain")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_PLAIN_0_0_4)  # every Prometheus reads it
