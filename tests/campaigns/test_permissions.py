"""Who may do what to whose object, through the HTTP API; and how users get in.

Roles: ``anonymous`` (no credentials), ``other`` (a signed-in stranger), ``backer``
(holds a pledge to the campaign), ``creator`` (owns the campaign) and ``staff``.
Anonymous writes are 401; a signed-in user who may see an object but not change it
gets 403; objects a user may not see (others' drafts, others' pledges) are 404.
"""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from accounts.models import ApiToken, PaymentCustomer
from accounts.tokens import token_hash
from campaigns.models import Campaign
from closing.services import campaign_cancel
from pledges.models import Pledge
from rewards.models import RewardTier
from tests import factories
from tests.api.helpers import assert_error, back, client_as, money_snapshot

pytestmark = pytest.mark.django_db

User = get_user_model()
ROLES = ("anonymous", "other", "backer", "creator", "staff")


@pytest.fixture
def people(creator, staff):
    return {
        "anonymous": None,
        "other": factories.UserFactory(username="other"),
        "backer": factories.UserFactory(username="backer"),
        "creator": creator,
        "staff": staff,
    }


@pytest.fixture
def live(creator):
    return factories.live_campaign(
        creator=creator,
        title="Live album",
        rewards=[{"title": "Signed vinyl", "minimum": Decimal("25.00"), "limit": 10}],
    )


@pytest.fixture
def draft(creator):
    return factories.draft_campaign(creator=creator, title="Secret draft")


def _client(people, role, campaign=None):
    """The role's client; the backer first backs the campaign (a pending pledge, no card)."""
    if role == "backer" and campaign is not None and campaign.state == Campaign.State.LIVE:
        back(campaign, people["backer"])
    return client_as(people[role])


def _ids(response) -> set[int]:
    return {item["id"] for item in response.json()["results"]}


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
    assert live.pk in _ids(everything)
    assert (draft.pk in _ids(everything)) is sees_draft
    assert _ids(drafts_only) == ({draft.pk} if sees_draft else set())
    assert _ids(searched) == ({draft.pk} if sees_draft else set())


@pytest.mark.parametrize("role", ROLES)
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
    response = _client(people, role, live).patch(f"/api/campaigns/{live.pk}/", {"title": "Renamed"}, format="json")

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
    response = _client(people, role, draft).patch(f"/api/campaigns/{draft.pk}/", {"goal": "5.00"}, format="json")

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
    response = _client(people, role, draft).post(f"/api/campaigns/{draft.pk}/launch/")

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
    response = _client(people, role, live).post(f"/api/campaigns/{live.pk}/cancel/")

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


# --- reward tiers ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
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

    response = _client(people, role, live).post(f"/api/campaigns/{live.pk}/rewards/", body, format="json")

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
    client = _client(people, role, live)

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

    response = _client(people, role, live).delete(f"/api/campaigns/{live.pk}/rewards/{tier.pk}/")

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


# --- pledges ---------------------------------------------------------------------------


@pytest.fixture
def backed(people, live):
    """The backer's active pledge (30.00, holding the limited tier) and the campaign it backs."""
    pledge = back(live, people["backer"], amount="30.00", reward=live.rewards.get(), card=factories.CARD_OK)
    assert pledge.state == Pledge.State.ACTIVE
    return pledge


PLEDGE_ACTIONS = {
    "detail": ("get", "/api/pledges/{id}/", None),
    "patch": ("patch", "/api/pledges/{id}/", {"amount": "35.00"}),
    "cancel": ("post", "/api/pledges/{id}/cancel/", None),
    "confirm": ("post", "/api/pledges/{id}/confirm/", None),
    "payment-method": ("post", "/api/pledges/{id}/payment-method/", {"payment_method": "pm_card_visa"}),
}


def _act(client, action: str, pledge: Pledge):
    method, path, body = PLEDGE_ACTIONS[action]
    return getattr(client, method)(path.format(id=pledge.pk), body, format="json")


@pytest.mark.parametrize("action", list(PLEDGE_ACTIONS))
@pytest.mark.parametrize(("role", "status"), [("anonymous", 401), ("other", 404), ("creator", 404)])
def test_pledges_of_others_are_invisible(people, backed, role, status, action):
    before = money_snapshot(backed.campaign)

    response = _act(client_as(people[role]), action, backed)

    assert_error(response, status, code="not_authenticated" if status == 401 else "not_found")
    assert money_snapshot(backed.campaign) == before


@pytest.mark.parametrize(
    ("action", "status"),
    [("detail", 200), ("patch", 403), ("cancel", 403), ("confirm", 403), ("payment-method", 403)],
)
def test_staff_may_read_any_pledge_but_not_change_it(people, backed, action, status):
    before = money_snapshot(backed.campaign)

    response = _act(client_as(people["staff"]), action, backed)

    if status == 200:
        assert response.status_code == 200
        assert response.json()["id"] == backed.pk
        assert response.json()["backer"] == "backer"
    else:
        assert_error(response, 403, code="permission_denied")
    assert money_snapshot(backed.campaign) == before


def test_the_backer_reads_their_pledge(people, backed):
    response = _act(client_as(people["backer"]), "detail", backed)

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["state"], body["amount"], body["reward"]) == (
        backed.pk,
        "active",
        "30.00",
        backed.reward_id,
    )


def test_the_backer_changes_their_pledge_and_the_totals_follow(people, backed):
    response = _act(client_as(people["backer"]), "patch", backed)

    assert response.status_code == 200, response.json()
    assert response.json()["amount"] == "35.00"
    campaign = Campaign.objects.get(pk=backed.campaign_id)
    assert (campaign.pledged, campaign.backers_count) == (Decimal("35.00"), 1)


def test_the_backer_cancels_their_pledge_and_frees_the_tier(people, backed):
    response = _act(client_as(people["backer"]), "cancel", backed)

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "canceled"
    campaign = Campaign.objects.get(pk=backed.campaign_id)
    assert (campaign.pledged, campaign.backers_count) == (Decimal("0.00"), 0)
    assert RewardTier.objects.get(pk=backed.reward_id).claimed == 0


def test_the_backer_confirming_an_active_pledge_is_a_harmless_no_op(people, backed):
    before = money_snapshot(backed.campaign)

    response = _act(client_as(people["backer"]), "confirm", backed)

    assert response.status_code == 200
    assert response.json()["state"] == "active"
    assert money_snapshot(backed.campaign) == before


def test_the_backer_cannot_replace_the_card_of_a_pledge_that_has_not_failed(people, backed):
    before = money_snapshot(backed.campaign)

    response = _act(client_as(people["backer"]), "payment-method", backed)

    assert_error(response, 409, code="not_errored")
    assert money_snapshot(backed.campaign) == before


def test_pledge_list_shows_own_pledges_and_everything_to_staff(people, live):
    mine = back(live, people["backer"])
    theirs = back(live, people["other"])
    elsewhere = back(factories.live_campaign(creator=people["staff"]), people["backer"])

    def listed(role, **params):
        response = client_as(people[role]).get("/api/pledges/", params)
        assert response.status_code == 200
        return _ids(response)

    assert listed("backer") == {mine.pk, elsewhere.pk}
    assert listed("backer", campaign=live.pk) == {mine.pk}
    assert listed("other") == {theirs.pk}
    assert listed("creator") == set()
    assert listed("staff") == {mine.pk, theirs.pk, elsewhere.pk}
    assert listed("staff", campaign=live.pk) == {mine.pk, theirs.pk}
    assert_error(client_as(None).get("/api/pledges/"), 401)


def test_anonymous_cannot_pledge(api_client, live):
    before = money_snapshot(live)

    response = api_client.post("/api/pledges/", {"campaign": live.pk, "amount": "30.00"}, format="json")

    assert_error(response, 401, code="not_authenticated")
    assert money_snapshot(live) == before


def test_creators_cannot_back_their_own_campaign(creator, live):
    before = money_snapshot(live)

    response = client_as(creator).post(
        "/api/pledges/", {"campaign": live.pk, "amount": "30.00", "reward": live.rewards.get().pk}, format="json"
    )

    assert_error(response, 403, code="own_campaign")
    assert money_snapshot(live) == before
    assert not PaymentCustomer.objects.filter(user=creator).exists()


def test_a_canceled_campaign_is_no_longer_public(people, live):
    campaign_cancel(campaign=live)

    assert_error(client_as(people["other"]).get(f"/api/campaigns/{live.pk}/"), 404)
    assert client_as(people["creator"]).get(f"/api/campaigns/{live.pk}/").json()["state"] == "canceled"
    assert client_as(people["staff"]).get(f"/api/campaigns/{live.pk}/").status_code == 200


# --- auth ------------------------------------------------------------------------------

PASSWORD = "correct horse battery staple"


@pytest.fixture
def anon(db) -> APIClient:
    """An anonymous client on which a server error is a 500 response, not an exception."""
    return client_as(None)


# A syntactically valid address longer than the 254 characters the user table holds.
LONG_EMAIL = "a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".example.com"


def _register(client: APIClient, username="amanda", password=PASSWORD, email="amanda@example.com"):
    return client.post(
        "/api/auth/register/", {"username": username, "email": email, "password": password}, format="json"
    )


def test_register_returns_the_new_user_and_a_working_token(anon):
    response = _register(anon)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "username", "token"}
    user = User.objects.get(pk=body["id"])
    assert (user.username, user.email) == ("amanda", "amanda@example.com")
    assert user.check_password(PASSWORD)
    assert not user.is_staff
    stored = ApiToken.objects.get(user=user)
    assert stored.key_hash == token_hash(body["token"]) != body["token"]  # only its hash is kept

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    created = client.post("/api/campaigns/", {"title": "Tour", "goal": "100.00", "currency": "EUR"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["creator"] == "amanda"
    assert client.get("/api/pledges/").json()["count"] == 0


@pytest.mark.parametrize("username", ["amanda", "AMANDA"])
def test_register_refuses_a_taken_username(anon, username):
    factories.UserFactory(username="amanda")

    response = _register(anon, username=username, email="other@example.com")

    assert_error(response, 409, code="username_taken")
    assert User.objects.filter(username__iexact="amanda").count() == 1
    assert not User.objects.filter(email="other@example.com").exists()
    assert not ApiToken.objects.filter(user__username__iexact="amanda").exists()


@pytest.mark.parametrize("password", ["123", "password"])
def test_register_refuses_a_weak_password(anon, password):
    response = _register(anon, password=password)

    assert_error(response, 400, code="invalid", field="password")
    assert not User.objects.filter(username="amanda").exists()
    assert not ApiToken.objects.filter(user__username="amanda").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "amanda", "password": PASSWORD}, "email"),
        ({"username": "amanda", "email": "not-an-email", "password": PASSWORD}, "email"),
        ({"username": "has space", "email": "a@example.com", "password": PASSWORD}, "username"),
        ({"username": ["amanda"], "email": "a@example.com", "password": PASSWORD}, "username"),
        ({"username": "amanda", "email": "a@example.com"}, "password"),
        ({"username": "amanda", "email": LONG_EMAIL, "password": PASSWORD}, "email"),
        ({"username": "x" * 151, "email": "a@example.com", "password": PASSWORD}, "username"),
        ({"username": "amanda", "email": "a@example.com", "password": "p" * 129}, "password"),
    ],
    ids=[
        "no-email",
        "bad-email",
        "space-in-username",
        "list-as-username",
        "no-password",
        "email-too-long-for-the-column",
        "username-too-long",
        "password-too-long",
    ],
)
def test_register_refuses_bad_fields(anon, body, field):
    response = anon.post("/api/auth/register/", body, format="json")

    assert_error(response, 400, code="invalid", field=field)
    assert not User.objects.filter(username__in=["amanda", "has space"]).exists()


def test_token_endpoint_gives_a_new_working_token_for_good_credentials(anon, user):
    response = anon.post("/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    again = anon.post("/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")

    assert response.status_code == again.status_code == 200, response.json()
    tokens = [response.json()["token"], again.json()["token"]]
    assert tokens[0] != tokens[1]
    assert set(ApiToken.objects.filter(user=user).values_list("key_hash", flat=True)) == set(map(token_hash, tokens))
    for token in tokens:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert client.get("/api/pledges/").status_code == 200


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "user-that-does-not-exist", "password": PASSWORD},
        {"username": "__USER__", "password": "wrong password"},
    ],
)
def test_token_endpoint_refuses_bad_credentials(anon, user, credentials):
    if credentials["username"] == "__USER__":
        credentials = {**credentials, "username": user.username}

    response = anon.post("/api/auth/token/", credentials, format="json")

    assert_error(response, 400, code="invalid_credentials")
    assert "token" not in response.json()
    assert not ApiToken.objects.filter(user=user).exists()


def test_token_endpoint_refuses_a_missing_password(anon, user):
    response = anon.post("/api/auth/token/", {"username": user.username}, format="json")

    assert_error(response, 400, code="invalid", field="password")


@pytest.mark.parametrize("header", ["Token not-a-real-token", "Token ", "Bearer abc", "Token a b"])
def test_a_bad_authorization_header_is_401_not_anonymous_access(anon, header):
    anon.credentials(HTTP_AUTHORIZATION=header)

    response = anon.get("/api/pledges/")

    assert_error(response, 401)
    title = "Sneaking in with a bad token"
    created = anon.post("/api/campaigns/", {"title": title, "goal": "1.00", "currency": "USD"}, format="json")
    assert_error(created, 401)
    assert not Campaign.objects.filter(title=title).exists()


def test_a_token_stops_working_when_it_expires(anon, user, settings):
    import time_machine
    from django.utils import timezone

    token = anon.post("/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json").json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")

    before = client.get("/api/pledges/")
    with time_machine.travel(timezone.now() + settings.API_TOKEN_TTL + timezone.timedelta(seconds=1)):
        after = client.get("/api/pledges/")

    assert before.status_code == 200
    assert (after.status_code, after.json()["detail"]) == (401, "Invalid or expired token.")
