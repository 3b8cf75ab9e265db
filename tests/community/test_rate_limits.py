"""A burst of comments against COMMENT_RATE_LIMIT: counted per account in Redis (core.throttling),
so one account's burst stops at the limit and never slows another account."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from community.models import Comment
from core.redis_client import quick_redis_client
from tests import factories
from tests.support.api import client_as

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_counters():
    client = quick_redis_client()
    keys = list(client.scan_iter("community:*"))
    if keys:
        client.delete(*keys)


def test_a_burst_of_comments_stops_at_the_limit_for_that_account_only(settings):
    settings.COMMENT_RATE_LIMIT = "5/hour"
    campaign = factories.LiveCampaignFactory()
    loud = factories.PledgeFactory(campaign=campaign).backer
    quiet = factories.PledgeFactory(campaign=campaign).backer

    def post(n: int) -> int:
        try:
            return (
                client_as(loud)
                .post(f"/api/campaigns/{campaign.pk}/comments/", {"body": f"#{n}"}, format="json")
                .status_code
            )
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(post, range(20)))

    assert sorted(statuses) == [201] * 5 + [429] * 15
    assert Comment.objects.filter(author=loud).count() == 5
    other = client_as(quiet).post(f"/api/campaigns/{campaign.pk}/comments/", {"body": "me too"}, format="json")
    assert other.status_code == 201
    refused = client_as(loud).post(f"/api/campaigns/{campaign.pk}/comments/", {"body": "again"}, format="json")
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_posts"
    assert 1 <= int(refused["Retry-After"]) <= 3600
