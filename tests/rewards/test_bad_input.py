"""Bad input to the reward tier endpoints never gives a 500 and never leaves a half-written
row; a tier's limit, price and stock keep the rules of a live campaign."""

from decimal import Decimal

import pytest

from closing.services import campaign_cancel
from tests import factories
from tests.support.api import assert_error, client_as, money_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(creator):
    return factories.LiveCampaignFactory(
        creator=creator,
        goal=Decimal("1000.00"),
        rewards=[
            {"title": "Signed vinyl", "minimum": Decimal("25.00"), "limit": 2},
            {"title": "Thank-you", "minimum": Decimal("1.00")},
        ],
    )


@pytest.fixture
def vinyl(campaign):
    return campaign.rewards.get(title="Signed vinyl")


# --- POST /api/campaigns/{id}/rewards/ -----------------------------------------------------


def _reward_body(**changes) -> dict:
    body = {
        "title": "Art book",
        "description": "Signed.",
        "minimum": "50.00",
        "limit": 100,
        "estimated_delivery": "2030-06-01",
        "shipping": "5.00",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not ...}


REWARD_BAD_FIELDS = [
    ("title", None, None),
    ("title", "", None),
    ("title", "x" * 121, None),
    ("title", [], None),
    ("title", "Nul\x00byte", None),
    ("title", ..., None),
    ("description", None, None),
    ("description", ["x"], None),
    ("minimum", None, None),
    ("minimum", "abc", None),
    ("minimum", [], None),
    ("minimum", {}, None),
    ("minimum", "NaN", None),
    ("minimum", "1e20", None),
    ("minimum", ..., None),
    ("minimum", "-1.00", "invalid_minimum"),
    ("minimum", "0", "invalid_minimum"),
    ("minimum", "10.001", "invalid_minimum"),
    ("limit", "abc", None),
    ("limit", 0, None),
    ("limit", -1, None),
    ("limit", 1.5, None),
    ("limit", "1.5", None),
    ("limit", 10_000_001, None),
    ("limit", 2**70, None),
    ("limit", [], None),
    ("limit", {}, None),
    ("limit", True, None),
    ("estimated_delivery", "soon", None),
    ("estimated_delivery", "2030-02-30", None),
    ("estimated_delivery", 20300601, None),
    ("estimated_delivery", [], None),
    ("estimated_delivery", "2030-06-01T00:00:00Z", None),
    ("shipping", None, None),
    ("shipping", "abc", None),
    ("shipping", "-1.00", None),
    ("shipping", "Infinity", None),
    ("shipping", [], None),
    ("shipping", "0.001", "invalid_shipping"),
]


@pytest.mark.parametrize(("field", "value", "code"), REWARD_BAD_FIELDS, ids=repr)
def test_reward_create_refuses_a_bad_field(creator, campaign, field, value, code):
    before = money_snapshot(campaign)

    response = client_as(creator).post(
        f"/api/campaigns/{campaign.pk}/rewards/", _reward_body(**{field: value}), format="json"
    )

    if code is None:
        assert_error(response, 400, code="invalid", field=field)
    else:
        assert_error(response, 400, code=code)
    assert money_snapshot(campaign) == before


def test_reward_create_refuses_a_minimum_finer_than_a_yen(creator):
    yen = factories.DraftCampaignFactory(creator=creator, goal=Decimal("100000"), currency="JPY")

    response = client_as(creator).post(f"/api/campaigns/{yen.pk}/rewards/", _reward_body(minimum="10.5"), format="json")

    assert_error(response, 400, code="invalid_minimum")
    assert not yen.rewards.exists()


def test_reward_create_accepts_a_body_that_is_just_right(creator, campaign):
    response = client_as(creator).post(f"/api/campaigns/{campaign.pk}/rewards/", _reward_body(), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["remaining"] == 100
    assert campaign.rewards.count() == 3


def test_reward_create_refuses_a_closed_campaign(creator, campaign):
    campaign_cancel(campaign=campaign)

    response = client_as(creator).post(f"/api/campaigns/{campaign.pk}/rewards/", _reward_body(), format="json")

    assert_error(response, 409, code="campaign_closed")
    assert campaign.rewards.count() == 2


# --- a tier of another campaign ----------------------------------------------------------


def test_a_reward_addressed_through_another_campaign_is_404(creator, campaign, vinyl):
    elsewhere = factories.LiveCampaignFactory(creator=creator)
    before = money_snapshot(campaign, elsewhere)
    url = f"/api/campaigns/{elsewhere.pk}/rewards/{vinyl.pk}/"

    assert_error(client_as(creator).get(url), 404)
    assert_error(client_as(creator).patch(url, {"limit": 1000}, format="json"), 404)
    assert_error(client_as(creator).delete(url), 404)
    assert money_snapshot(campaign, elsewhere) == before


# --- tier limits and deletion --------------------------------------------------------------


def test_a_tier_limit_cannot_go_below_what_is_claimed(creator, campaign, vinyl):
    factories.PledgeFactory(campaign=campaign, reward=vinyl, card=None)
    factories.PledgeFactory(campaign=campaign, reward=vinyl, card=None)
    before = money_snapshot(campaign)

    response = client_as(creator).patch(
        f"/api/campaigns/{campaign.pk}/rewards/{vinyl.pk}/", {"limit": 1}, format="json"
    )

    assert_error(response, 409, code="limit_below_claimed")
    assert money_snapshot(campaign) == before


def test_a_live_tier_limit_cannot_be_lowered_even_above_what_is_claimed(creator, campaign, vinyl):
    client = client_as(creator)
    url = f"/api/campaigns/{campaign.pk}/rewards/{vinyl.pk}/"
    assert client.patch(url, {"limit": 10}, format="json").status_code == 200
    factories.PledgeFactory(campaign=campaign, reward=vinyl, card=None)
    before = money_snapshot(campaign)

    response = client.patch(url, {"limit": 5}, format="json")

    assert_error(response, 409, code="limit_lowered")
    assert money_snapshot(campaign) == before


def test_a_tier_limit_can_be_raised_once_live(creator, campaign, vinyl):
    factories.PledgeFactory(campaign=campaign, reward=vinyl, card=None)
    factories.PledgeFactory(campaign=campaign, reward=vinyl, card=None)

    response = client_as(creator).patch(
        f"/api/campaigns/{campaign.pk}/rewards/{vinyl.pk}/", {"limit": 5}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["limit"], response.json()["claimed"], response.json()["remaining"]) == (5, 2, 3)
    vinyl.refresh_from_db()
    assert (vinyl.limit, vinyl.claimed) == (5, 2)


@pytest.mark.parametrize("change", [{"minimum": "20.00"}, {"shipping": "3.00"}, {"limit": 10}], ids=repr)
def test_a_live_tier_keeps_its_price_shipping_and_unlimited_stock(creator, campaign, change):
    thanks = campaign.rewards.get(title="Thank-you")  # unlimited, 1.00, no shipping
    before = money_snapshot(campaign)

    response = client_as(creator).patch(f"/api/campaigns/{campaign.pk}/rewards/{thanks.pk}/", change, format="json")

    assert_error(response, 409, code="reward_fixed")
    assert money_snapshot(campaign) == before


def test_a_tier_a_backer_holds_cannot_be_deleted(creator, campaign, vinyl):
    factories.PledgeFactory(campaign=campaign, reward=vinyl, card=None)
    before = money_snapshot(campaign)

    response = client_as(creator).delete(f"/api/campaigns/{campaign.pk}/rewards/{vinyl.pk}/")

    assert_error(response, 409, code="reward_in_use")
    assert money_snapshot(campaign) == before


def test_a_tier_once_held_by_a_canceled_pledge_cannot_be_deleted_either(creator, campaign, vinyl):
    """The pledge row still points at the tier (history); a 409, not a ProtectedError 500."""
    pledge = factories.PledgeFactory(campaign=campaign, reward=vinyl, card=None)
    assert client_as(pledge.backer).post(f"/api/pledges/{pledge.pk}/cancel/").status_code == 200
    before = money_snapshot(campaign)

    response = client_as(creator).delete(f"/api/campaigns/{campaign.pk}/rewards/{vinyl.pk}/")

    assert_error(response, 409, code="reward_in_use")
    assert money_snapshot(campaign) == before


@pytest.mark.parametrize(
    "change",
    [{"limit": 0}, {"limit": "abc"}, {"minimum": "abc"}, {"shipping": "-1"}, {"title": None}, {"limit": 2**70}],
    ids=repr,
)
def test_reward_patch_refuses_bad_values(creator, campaign, vinyl, change):
    before = money_snapshot(campaign)

    response = client_as(creator).patch(f"/api/campaigns/{campaign.pk}/rewards/{vinyl.pk}/", change, format="json")

    assert_error(response, 400, code="invalid", field=next(iter(change)))
    assert money_snapshot(campaign) == before
