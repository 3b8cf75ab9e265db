"""Whose pledges a caller may see and change, through the HTTP API.

Roles: ``anonymous`` (no credentials), ``other`` (a signed-in stranger), ``backer``
(holds a pledge to the campaign), ``creator`` (owns the campaign) and ``staff``.
Anonymous writes are 401; a signed-in user who may see an object but not change it
gets 403; objects a user may not see (others' drafts, others' pledges) are 404.
"""

from decimal import Decimal

import pytest

from accounts.models import PaymentCustomer
from campaigns.models import Campaign
from pledges.models import Pledge
from rewards.models import RewardTier
from tests import factories
from tests.support import roles
from tests.support.api import assert_error, client_as, money_snapshot

pytestmark = pytest.mark.django_db

people, live = roles.people, roles.live  # fixtures


# --- pledges ---------------------------------------------------------------------------


@pytest.fixture
def backed(people, live):
    """The backer's active pledge (30.00, holding the limited tier) and the campaign it backs."""
    pledge = factories.PledgeFactory(campaign=live, backer=people["backer"], amount="30.00", reward=live.rewards.get())
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
    mine = factories.PledgeFactory(campaign=live, backer=people["backer"], card=None)
    theirs = factories.PledgeFactory(campaign=live, backer=people["other"], card=None)
    elsewhere = factories.PledgeFactory(
        campaign=factories.LiveCampaignFactory(creator=people["staff"]), backer=people["backer"], card=None
    )

    def listed(role, **params):
        response = client_as(people[role]).get("/api/pledges/", params)
        assert response.status_code == 200
        return roles.ids(response)

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
