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
