"""Small helpers shared by the API tests: error-body checks and before/after snapshots."""

from decimal import Decimal

from rest_framework.test import APIClient

from campaigns.models import Campaign
from pledges.models import Pledge
from pledges.services import pledge_create
from rewards.models import RewardTier
from tests import factories
from tests.conftest import client_for


def client_as(user) -> APIClient:
    """An anonymous client for None, else one authenticated as the user."""
    return APIClient() if user is None else client_for(user)


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


def money_snapshot(campaign: Campaign) -> dict:
    """Everything a refused pledge request must leave as it was."""
    campaign = Campaign.objects.get(pk=campaign.pk)
    return {
        "pledges": Pledge.objects.count(),
        "pledge_rows": sorted(Pledge.objects.values_list("id", "state", "amount", "reward_id")),
        "pledged": campaign.pledged,
        "backers_count": campaign.backers_count,
        "funded_at": campaign.funded_at,
        "state": campaign.state,
        "claimed": dict(RewardTier.objects.values_list("id", "claimed")),
        "limits": dict(RewardTier.objects.values_list("id", "limit")),
    }


def back(campaign: Campaign, backer=None, *, amount: str = "30.00", reward=None, card: str | None = None) -> Pledge:
    """A pledge made through the real service: ``active`` with a card, ``pending`` without."""
    return pledge_create(
        backer=backer or factories.UserFactory(),
        campaign_id=campaign.pk,
        amount=Decimal(amount),
        reward_id=getattr(reward, "pk", reward),
        payment_method_id=factories.payment_method(card) if card else None,
    )
