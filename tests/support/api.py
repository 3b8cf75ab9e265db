"""Small helpers shared by the API tests: error-body checks and before/after snapshots."""

from rest_framework.test import APIClient

from campaigns.models import Campaign
from pledges.models import Pledge
from rewards.models import RewardTier
from tests.conftest import client_for


def client_as(user) -> APIClient:
    """An anonymous client for None, else one authenticated as the user.

    A server error comes back as a 500 response (so a test fails on its status
    assertion) instead of the exception being re-raised into the test.
    """
    client = APIClient() if user is None else client_for(user)
    client.raise_request_exception = False
    return client


def assert_error(response, status: int, *, code: str | None = None, field: str | None = None) -> dict:
    """The response is a JSON error of that status: {"detail", "code"} (+ "errors" for 400 validation)."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("detail"), str) and body["detail"], body
    assert isinstance(body.get("code"), str) and body["code"], body
    if code is not None:
        assert body["code"] == code, body
    if field is not None:
        assert isinstance(body.get("errors"), dict), body
        assert field in body["errors"], body
        assert body["errors"][field], body
    if "errors" in body:
        assert status == 400, body
        assert isinstance(body["errors"], dict) and body["errors"], body
    return body


def money_snapshot(*campaigns: Campaign) -> dict:
    """Everything a refused pledge request must leave as it was, for these campaigns.

    Scoped to the campaigns (not global counts): other suites may commit rows to the
    same test database while this one runs.
    """
    ids = [campaign.pk for campaign in campaigns]
    pledges = Pledge.objects.filter(campaign_id__in=ids)
    tiers = RewardTier.objects.filter(campaign_id__in=ids)
    return {
        "pledges": sorted(pledges.values_list("id", "backer_id", "state", "amount", "reward_id")),
        "campaigns": sorted(
            Campaign.objects.filter(pk__in=ids).values_list(
                "id", "state", "pledged", "backers_count", "funded_at", "goal", "currency", "deadline"
            )
        ),
        "tiers": sorted(tiers.values_list("id", "claimed", "limit", "minimum")),
    }
