"""The project's URLs, and the baseline the read figures are measured against: a bare Django
view (same middleware, no DRF, no ORM) reading the campaign and its creator by raw SQL."""

import json

from django.db import connection
from django.http import Http404, HttpResponse
from django.urls import path

from config.urls import urlpatterns as project

BARE_SQL = """
SELECT c.id, c.slug, c.title, c.state, c.goal::text, c.currency, c.deadline, c.pledged::text, c.backers_count,
       u.username
  FROM campaigns_campaign c JOIN auth_user u ON u.id = c.creator_id
 WHERE c.id = %s
"""


def bare_campaign(request, campaign_id: int) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(BARE_SQL, [campaign_id])
        row = cursor.fetchone()
    if row is None:
        raise Http404
    keys = ("id", "slug", "title", "state", "goal", "currency", "deadline", "pledged", "backers_count", "creator")
    body = dict(zip(keys, row, strict=True))
    body["deadline"] = body["deadline"].isoformat()
    return HttpResponse(json.dumps(body), content_type="application/json")


urlpatterns = [path("bench/bare/<int:campaign_id>/", bare_campaign), *project]
