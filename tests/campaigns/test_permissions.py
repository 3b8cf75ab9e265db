"""Who may see and change which campaign, through the HTTP API.

Roles: ``anonymous`` (no credentials), ``other`` (a signed-in stranger), ``backer``
(holds a pledge to the campaign), ``creator`` (owns the campaign) and ``staff``.
Anonymous writes are 401; a signed-in user who may see an object but not change it
gets 403; objects a user may not see (others' drafts, others' pledges) are 404.
"""

from decimal import Decimal

import pytest

from campaigns.models import Campaign
from closing.services import campaign_cancel
from pledges.models import Pledge
from tests.support import roles
from tests.support.api import assert_error, client_as

pytestmark = pytest.mark.django_db

people, live, draft = roles.people, roles.live, roles.draft  # fixtures


# --- campaigns: list and detail ------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "sees_draft"),
    [("anonymous", False), ("other", False), ("backer", False), ("creator", True), ("staff", True)],
)
def test_campaign_list_shows_drafts_only_to_their_creator_and_staff(people, live, draft, role, sees_draft):
    client = client_as(people[role])

    everything = client.get("/api/campaigns/")
    drafts_only = client.get("/api/campaigns/", {"state": "draft"})
    searched = client.get("/api/campaigns/", {"search": "Secret"})

    assert everything.status_code == drafts_only.status_code == searched.status_code == 200
    assert set(everything.json()) == {"count", "next", "previous", "results"}
    assert live.pk in roles.ids(everything)
    assert (draft.pk in roles.ids(everything)) is sees_draft
    assert roles.ids(drafts_only) == ({draft.pk} if sees_draft else set())
    assert roles.ids(searched) == ({draft.pk} if sees_draft else set())


@pytest.mark.parametrize("role", roles.ROLES)
def test_live_campaign_detail_is_public(people, live, role):
    response = client_as(people[role]).get(f"/api/campaigns/{live.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == live.pk
    assert body["state"] == "live"
    assert body["creator"] == "creator"
    assert [reward["title"] for reward in body["rewards"]] == ["Signed vinyl"]


@pytest.mark.parametrize(("role", "status"), [("anonymous", 404), ("other", 404), ("creator", 200), ("staff", 200)])
def test_draft_campaign_detail_is_hidden_from_all_but_creator_and_staff(people, draft, role, status):
    client = client_as(people[role])

    detail = client.get(f"/api/campaigns/{draft.pk}/")
    rewards = client.get(f"/api/campaigns/{draft.pk}/rewards/")

    assert detail.status_code == rewards.status_code == status
    if status == 404:
        assert_error(detail, 404, code="not_found")
        assert_error(rewards, 404, code="not_found")
    else:
        assert detail.json()["state"] == "draft"
        assert rewards.json() == []


def test_anonymous_cannot_create_a_campaign_and_gets_401_with_the_token_challenge(api_client):
    response = api_client.post(
        "/api/campaigns/", {"title": "Album", "goal": "100.00", "currency": "USD"}, format="json"
    )

    assert_error(response, 401, code="not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
    assert not Campaign.objects.filter(title="Album").exists()


def test_any_signed_in_user_can_create_a_draft_of_their_own(user):
    response = client_as(user).post(
        "/api/campaigns/", {"title": "Album", "goal": "100.00", "currency": "usd"}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["state"], body["creator"], body["goal"], body["currency"]) == ("draft", user.username, "100.00", "USD")
    campaign = Campaign.objects.get(pk=body["id"])
    assert campaign.creator == user
    assert campaign.state == Campaign.State.DRAFT


# --- campaigns: edit, launch, cancel -------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("other", 403), ("backer", 403), ("staff", 403), ("creator", 200)],
)
def test_only_the_creator_may_patch_a_live_campaign(people, live, role, status):
    response = roles.client_of(people, role, live).patch(
        f"/api/campaigns/{live.pk}/", {"title": "Renamed"}, format="json"
    )

    live.refresh_from_db()
    if status == 200:
        assert response.status_code == 200
        assert response.json()["title"] == "Renamed"
        assert live.title == "Renamed"
    else:
        assert_error(response, status)
        assert live.title == "Live album"


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("other", 404), ("backer", 404), ("staff", 403), ("creator", 200)],
)
def test_only_the_creator_may_patch_a_draft_and_strangers_do_not_see_it(people, draft, role, status):
    response = roles.client_of(people, role, draft).patch(
        f"/api/campaigns/{draft.pk}/", {"goal": "5.00"}, format="json"
    )

    draft.refresh_from_db()
    if status == 200:
        assert response.json()["goal"] == "5.00"
        assert draft.goal == Decimal("5.00")
    else:
        assert_error(response, status)
        assert draft.goal == Decimal("1000.00")


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("other", 404), ("backer", 404), ("staff", 403), ("creator", 200)],
)
def test_only_the_creator_may_launch_a_draft(people, draft, role, status):
    response = roles.client_of(people, role, draft).post(f"/api/campaigns/{draft.pk}/launch/")

    draft.refresh_from_db()
    if status == 200:
        assert response.json()["state"] == "live"
        assert response.json()["launched_at"]
        assert draft.state == Campaign.State.LIVE
    else:
        assert_error(response, status)
        assert draft.state == Campaign.State.DRAFT
        assert draft.launched_at is None


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("other", 403), ("backer", 403), ("staff", 200), ("creator", 200)],
)
def test_the_creator_and_staff_may_cancel_a_live_campaign(people, live, role, status):
    response = roles.client_of(people, role, live).post(f"/api/campaigns/{live.pk}/cancel/")

    live.refresh_from_db()
    if status == 200:
        assert response.json()["state"] == "canceled"
        assert live.state == Campaign.State.CANCELED
        assert not Pledge.objects.filter(campaign=live).exclude(state=Pledge.State.RELEASED).exists()
    else:
        assert_error(response, status)
        assert live.state == Campaign.State.LIVE
        assert live.canceled_at is None
        assert not Pledge.objects.filter(campaign=live, state=Pledge.State.RELEASED).exists()


@pytest.mark.parametrize(("role", "status"), [("anonymous", 401), ("other", 404), ("staff", 200), ("creator", 200)])
def test_the_creator_and_staff_may_cancel_a_draft(people, draft, role, status):
    response = client_as(people[role]).post(f"/api/campaigns/{draft.pk}/cancel/")

    draft.refresh_from_db()
    if status == 200:
        assert draft.state == Campaign.State.CANCELED
    else:
        assert_error(response, status)
        assert draft.state == Campaign.State.DRAFT


def test_a_canceled_campaign_is_no_longer_public(people, live):
    campaign_cancel(campaign=live)

    assert_error(client_as(people["other"]).get(f"/api/campaigns/{live.pk}/"), 404)
    assert client_as(people["creator"]).get(f"/api/campaigns/{live.pk}/").json()["state"] == "canceled"
    assert client_as(people["staff"]).get(f"/api/campaigns/{live.pk}/").status_code == 200
