"""Throttles are on in production; the rest of the suite turns them off (conftest)."""

from decimal import Decimal

import pytest

from tests import factories
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.throttling]


def test_pledging_is_throttled_per_user_with_a_clear_json_429(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "pledge": "3/minute"},
    }
    campaign = factories.LiveCampaignFactory(goal=Decimal("100"))
    client = client_for(factories.UserFactory())

    statuses = [
        client.post("/api/pledges/", {"campaign": campaign.pk, "amount": "-1"}, format="json").status_code
        for _ in range(4)
    ]

    assert statuses == [400, 400, 400, 429]
    limited = client.post("/api/pledges/", {"campaign": campaign.pk, "amount": "5"}, format="json")
    assert limited.status_code == 429
    assert limited.json()["code"] == "throttled"
    assert "Retry-After" in limited.headers
    # Another backer has a budget of their own.
    other = client_for(factories.UserFactory())
    assert other.post("/api/pledges/", {"campaign": campaign.pk, "amount": "-1"}, format="json").status_code == 400


def _anonymous_guesses(client, count: int, forwarded_for) -> list[int]:
    return [
        client.post(
            "/api/auth/token/",
            {"username": "amanda", "password": f"guess {n}"},
            format="json",
            HTTP_X_FORWARDED_FOR=forwarded_for(n),
            REMOTE_ADDR="203.0.113.7",
        ).status_code
        for n in range(count)
    ]


@pytest.fixture
def three_anonymous_tries_a_minute(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "3/minute"},
    }


def test_a_forged_x_forwarded_for_buys_no_new_budget(three_anonymous_tries_a_minute):
    from rest_framework.test import APIClient

    statuses = _anonymous_guesses(APIClient(), 5, lambda n: f"198.51.100.{n}")

    assert statuses == [400, 400, 400, 429, 429]


def test_behind_one_trusted_proxy_the_client_is_the_address_it_saw(settings, three_anonymous_tries_a_minute):
    from rest_framework.test import APIClient

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    # The client forges a first entry; our proxy appends the address it really saw.
    forged = _anonymous_guesses(APIClient(), 4, lambda n: f"10.0.0.{n}, 192.0.2.50")
    another_client = _anonymous_guesses(APIClient(), 1, lambda n: "192.0.2.51")

    assert forged == [400, 400, 400, 429]
    assert another_client == [400]


def test_a_burst_passes_exactly_the_limit(settings):
    """Real threads against the real Redis, straight at the throttle (the Django test client
    is not made for threads): DRF's own throttles let 183 of 300 through a limit of 120."""
    from django.contrib.auth.models import AnonymousUser
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from core.throttling import AnonThrottle
    from tests.conftest import at_once

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "40/hour"},
    }
    request = Request(APIRequestFactory().get("/api/campaigns/", REMOTE_ADDR="203.0.113.9"))
    request.user = AnonymousUser()

    allowed = at_once(60, lambda _: AnonThrottle().allow_request(request, None))

    assert sorted(allowed) == [False] * 20 + [True] * 40


def test_when_redis_does_not_answer_requests_go_through(settings):
    from rest_framework.test import APIClient

    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens on the discard port (one client per URL)
    statuses = [APIClient().get("/api/campaigns/").status_code for _ in range(3)]

    assert statuses == [200, 200, 200]


def test_the_user_rate_counts_signed_in_callers_and_anonymous_ones_only_by_the_anonymous_rate(settings):
    """An anonymous read is counted once (one round trip to Redis), by the anonymous rate."""
    from rest_framework.test import APIClient

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "2/minute"},
    }
    anonymous = [APIClient(REMOTE_ADDR="203.0.113.21").get("/api/campaigns/").status_code for _ in range(3)]
    signed_in = APIClient(REMOTE_ADDR="203.0.113.22")
    signed_in.force_authenticate(factories.UserFactory())
    theirs = [signed_in.get("/api/campaigns/").status_code for _ in range(3)]

    assert anonymous == [200, 200, 200]
    assert theirs == [200, 200, 429]
