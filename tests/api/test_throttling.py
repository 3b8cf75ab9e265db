"""Throttles are on in production; the rest of the suite turns them off (conftest)."""

from decimal import Decimal

import pytest

from tests import factories
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.throttling]


@pytest.fixture
def default_throttles(monkeypatch):
    """The production defaults. DRF binds them to APIView when it is first imported, which in a
    full run may happen while another test's fixture has them off."""
    from rest_framework.views import APIView

    from core.throttling import AnonRateThrottle, UserRateThrottle

    monkeypatch.setattr(APIView, "throttle_classes", [AnonRateThrottle, UserRateThrottle])


def test_pledging_is_throttled_per_user_with_a_clear_json_429(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "pledge": "3/minute"},
    }
    campaign = factories.live_campaign(goal=Decimal("100"))
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


def _clear_of_window_edge(seconds: int) -> None:
    """Start well inside a fixed window, so one burst is counted in one window."""
    import time

    left = seconds - time.time() % seconds
    if left < 20:
        time.sleep(left + 0.05)


@pytest.mark.django_db(transaction=True)
def test_exactly_the_limit_passes_when_300_requests_race(settings, default_throttles):
    """DRF's cache-based throttle let 183 of 300 concurrent requests through a 120 limit."""
    from rest_framework.test import APIClient

    from tests.conftest import at_once

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "120/hour"},
    }
    campaign = factories.live_campaign(goal=Decimal("100"))
    _clear_of_window_edge(3600)

    statuses = at_once(300, lambda i: APIClient().get(f"/api/campaigns/{campaign.pk}/").status_code)

    assert statuses.count(200) == 120
    assert statuses.count(429) == 180


@pytest.mark.parametrize("authenticated", [False, True])
def test_a_request_costs_one_round_trip_to_redis(settings, monkeypatch, default_throttles, authenticated):
    """INCR and EXPIRE of the window's key go together in one MULTI; nothing is read first,
    and an anonymous request is counted once (by address), a user's once (by user)."""
    import redis
    from rest_framework.test import APIClient

    sent = []
    execute_command = redis.Redis.execute_command
    execute = redis.client.Pipeline.execute

    def command(client, *args, **kwargs):
        sent.append([args])
        return execute_command(client, *args, **kwargs)

    def pipeline(pipe, *args, **kwargs):
        sent.append([entry[0] for entry in pipe.command_stack])
        return execute(pipe, *args, **kwargs)

    campaign = factories.live_campaign(goal=Decimal("100"))
    client = client_for(factories.UserFactory()) if authenticated else APIClient()
    monkeypatch.setattr(redis.Redis, "execute_command", command)
    monkeypatch.setattr(redis.client.Pipeline, "execute", pipeline)

    assert client.get(f"/api/campaigns/{campaign.pk}/").status_code == 200

    throttles = [trip for trip in sent if any("throttle" in str(command[1:2]) for command in trip)]
    assert len(throttles) == 1
    (trip,) = throttles
    assert [command[0] for command in trip] == ["INCRBY", "EXPIRE"]
    scope = "user" if authenticated else "anon"
    assert f"throttle_{scope}_" in trip[0][1]
