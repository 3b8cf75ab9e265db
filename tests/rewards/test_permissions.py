"""Who may see, add, change and delete a campaign's reward tiers, through the HTTP API.

Roles: ``anonymous`` (no credentials), ``other`` (a signed-in stranger), ``backer``
(holds a pledge to the campaign), ``creator`` (owns the campaign) and ``staff``.
Anonymous writes are 401; a signed-in user who may see an object but not change it
gets 403; objects a user may not see (others' drafts, others' pledges) are 404.
"""

from decimal import Decimal

import pytest

from rewards.models import RewardTier
from tests.support import roles
from tests.support.api import assert_error, client_as

pytestmark = pytest.mark.django_db

people, live, draft = roles.people, roles.live, roles.draft  # fixtures


# --- reward tiers ---------------------------------------------------------------------


@pytest.mark.parametrize("role", roles.ROLES)
def test_reward_list_and_detail_of_a_live_campaign_are_public(people, live, role):
    tier = live.rewards.get()
    client = client_as(people[role])

    listing = client.get(f"/api/campaigns/{live.pk}/rewards/")
    detail = client.get(f"/api/campaigns/{live.pk}/rewards/{tier.pk}/")

    assert listing.status_code == detail.status_code == 200
    assert [reward["id"] for reward in listing.json()] == [tier.pk]
    assert detail.json()["remaining"] == 10


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("other", 403), ("backer", 403), ("staff", 403), ("creator", 201)],
)
def test_only_the_creator_may_add_a_reward(people, live, role, status):
    body = {"title": "Art book", "minimum": "50.00", "limit": 100}

    response = roles.client_of(people, role, live).post(f"/api/campaigns/{live.pk}/rewards/", body, format="json")

    if status == 201:
        assert response.status_code == 201
        assert response.json()["title"] == "Art book"
        assert live.rewards.count() == 2
    else:
        assert_error(response, status)
        assert live.rewards.count() == 1


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("other", 403), ("backer", 403), ("staff", 403), ("creator", 200)],
)
def test_only_the_creator_may_change_a_reward(people, live, role, status):
    tier = live.rewards.get()
    client = roles.client_of(people, role, live)

    response = client.patch(f"/api/campaigns/{live.pk}/rewards/{tier.pk}/", {"title": "Gold vinyl"}, format="json")

    tier.refresh_from_db()
    if status == 200:
        assert response.status_code == 200
        assert response.json()["title"] == tier.title == "Gold vinyl"
    else:
        assert_error(response, status)
        assert tier.title == "Signed vinyl"


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("other", 403), ("backer", 403), ("staff", 403), ("creator", 204)],
)
def test_only_the_creator_may_delete_an_unclaimed_reward(people, live, role, status):
    tier = RewardTier.objects.create(campaign=live, title="Postcard", minimum=Decimal("5.00"))

    response = roles.client_of(people, role, live).delete(f"/api/campaigns/{live.pk}/rewards/{tier.pk}/")

    if status == 204:
        assert response.status_code == 204
        assert not RewardTier.objects.filter(pk=tier.pk).exists()
    else:
        assert_error(response, status)
        assert RewardTier.objects.filter(pk=tier.pk).exists()


@pytest.mark.parametrize(("role", "status"), [("anonymous", 401), ("other", 404), ("staff", 403), ("creator", 201)])
def test_rewards_of_a_draft_are_managed_by_its_creator_only(people, draft, role, status):
    body = {"title": "Early bird", "minimum": "10.00"}

    response = client_as(people[role]).post(f"/api/campaigns/{draft.pk}/rewards/", body, format="json")

    if status == 201:
        assert response.status_code == 201
        assert draft.rewards.count() == 1
    else:
        assert_error(response, status)
        assert draft.rewards.count() == 0
