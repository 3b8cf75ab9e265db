"""Shipping by destination: a country rule beats a region, a more specific region beats the rest
of the world, a place no rule covers is refused; a digital tier ships nothing."""

from decimal import Decimal

import pytest

from core.errors import Conflict, InvalidInput
from rewards.models import ShippingRule
from rewards.regions import COUNTRIES, Region, regions_of
from rewards.services import Rule, reward_update, shipping_price
from tests import factories
from tests.conftest import client_for
from tests.support.api import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def vinyl():
    return factories.RewardTierFactory(
        title="Vinyl",
        minimum=Decimal("30.00"),
        shipping_rules=[
            Rule(price=Decimal("4.00"), country="DE"),
            Rule(price=Decimal("7.50"), region=Region.EU),
            Rule(price=Decimal("9.00"), region=Region.EUROPE),
            Rule(price=Decimal("15.00"), region=Region.WORLD),
        ],
    )


@pytest.mark.parametrize(
    ("country", "price"),
    [
        ("DE", "4.00"),  # its own rule
        ("FR", "7.50"),  # the EU, more specific than Europe
        ("CH", "9.00"),  # Europe, not the EU
        ("JP", "15.00"),  # rest of the world
        ("us", "15.00"),  # lower case is the same code
    ],
)
def test_a_country_beats_a_region_and_a_region_beats_the_rest_of_the_world(vinyl, country, price):
    assert shipping_price(reward=vinyl, country=country) == Decimal(price)


def test_a_place_no_rule_covers_is_refused_with_its_name():
    tier = factories.RewardTierFactory(shipping_rules=[Rule(price=Decimal("5.00"), region=Region.NORTH_AMERICA)])

    assert shipping_price(reward=tier, country="CA") == Decimal("5.00")
    with pytest.raises(InvalidInput) as refused:
        shipping_price(reward=tier, country="DE")
    assert (refused.value.code, refused.value.field) == ("not_shipped", "shipping_country")
    assert refused.value.message == "This reward does not ship to Germany."


@pytest.mark.parametrize(("country", "code"), [("", "shipping_country_required"), ("ZZ", "unknown_country")])
def test_a_missing_or_unknown_destination_is_refused(vinyl, country, code):
    with pytest.raises(InvalidInput) as refused:
        shipping_price(reward=vinyl, country=country)
    assert refused.value.code == code


def test_the_regions_nest_as_documented():
    assert COUNTRIES[Region.EU] < COUNTRIES[Region.EUROPE]
    assert "CH" not in COUNTRIES[Region.EU]
    assert regions_of("FR") == [Region.EU, Region.EUROPE, Region.WORLD]
    assert regions_of("AQ") == [Region.WORLD]  # Antarctica: only the catch-all


def test_a_flat_shipping_cost_is_a_rest_of_the_world_rule():
    tier = factories.RewardTierFactory(shipping=Decimal("6.00"))

    assert tier.ships is True
    assert list(tier.shipping_rules.values_list("country", "region", "price")) == [("", "world", Decimal("6.00"))]


def test_a_digital_tier_has_no_rules_and_keeps_none():
    tier = factories.RewardTierFactory()
    assert (tier.ships, tier.shipping_rules.count()) == (False, 0)

    with pytest.raises(InvalidInput) as refused:
        reward_update(reward=tier, ships=False, shipping_rules=[Rule(price=Decimal("1.00"), country="DE")])
    assert refused.value.code == "digital_rules"


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        (Rule(price=Decimal("1.00")), "invalid_rule"),
        (Rule(price=Decimal("1.00"), country="DE", region="eu"), "invalid_rule"),
        (Rule(price=Decimal("1.00"), country="XX"), "unknown_country"),
        (Rule(price=Decimal("1.00"), region="mars"), "unknown_region"),
        (Rule(price=Decimal("-1.00"), country="DE"), "invalid_shipping"),
        (Rule(price=Decimal("1.001"), country="DE"), "invalid_shipping"),
    ],
    ids=repr,
)
def test_bad_rules_are_refused_and_nothing_is_written(vinyl, rule, code):
    with pytest.raises(InvalidInput) as refused:
        reward_update(reward=vinyl, shipping_rules=[rule])
    assert refused.value.code == code
    assert vinyl.shipping_rules.count() == 4


def test_two_rules_for_one_place_are_refused(vinyl):
    twice = [Rule(price=Decimal("1.00"), country="DE"), Rule(price=Decimal("2.00"), country="de")]
    with pytest.raises(InvalidInput) as refused:
        reward_update(reward=vinyl, shipping_rules=twice)
    assert refused.value.code == "duplicate_rule"


def test_a_held_tier_cannot_stop_shipping():
    campaign = factories.LiveCampaignFactory(
        rewards=[{"title": "LP", "minimum": Decimal("20.00"), "shipping": Decimal("5.00")}]
    )
    tier = campaign.rewards.get()
    factories.PledgeFactory(campaign=campaign, reward=tier, amount="25.00", shipping_country="US")

    with pytest.raises(Conflict):
        reward_update(reward=tier, ships=False)
    assert ShippingRule.objects.filter(tier=tier).count() == 1


def test_the_creator_sets_rules_over_the_api_and_anyone_reads_them():
    campaign = factories.DraftCampaignFactory(currency="EUR")
    creator = client_for(campaign.creator)
    body = {
        "title": "Vinyl",
        "minimum": "30.00",
        "ships": True,
        "shipping_rules": [{"region": "eu", "price": "7.50"}, {"country": "CH", "price": "12.00"}],
    }

    created = creator.post(f"/api/campaigns/{campaign.pk}/rewards/", body, format="json")

    assert created.status_code == 201, created.content
    rules = sorted((r["country"], r["region"], r["price"]) for r in created.json()["shipping_rules"])
    assert rules == [("", "eu", "7.50"), ("CH", "", "12.00")]
    assert (created.json()["ships"], created.json()["shipping"]) == (True, "0.00")  # no rest-of-world rule
    reward_id = created.json()["id"]
    changed = creator.patch(
        f"/api/campaigns/{campaign.pk}/rewards/{reward_id}/",
        {"shipping_rules": [{"region": "world", "price": "20.00"}]},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["shipping"] == "20.00"
    assert [r["destination"] for r in changed.json()["shipping_rules"]] == ["Rest of the world"]


@pytest.mark.parametrize(
    "rules",
    [[{"country": "ZZ", "price": "1.00"}], [{"region": "moon", "price": "1.00"}], [{"price": "1.00"}]],
    ids=repr,
)
def test_bad_rules_over_the_api_are_400_with_the_field(rules):
    campaign = factories.DraftCampaignFactory()
    body = {"title": "LP", "minimum": "10.00", "ships": True, "shipping_rules": rules}

    response = client_for(campaign.creator).post(f"/api/campaigns/{campaign.pk}/rewards/", body, format="json")

    assert_error(response, 400, field="shipping_rules")
    assert not campaign.rewards.exists()


def test_only_the_creator_changes_shipping():
    campaign = factories.DraftCampaignFactory()
    tier = factories.RewardTierFactory(campaign=campaign)
    stranger = client_for(factories.UserFactory())

    response = stranger.patch(
        f"/api/campaigns/{campaign.pk}/rewards/{tier.pk}/",
        {"ships": True, "shipping_rules": [{"region": "world", "price": "1.00"}]},
        format="json",
    )

    assert response.status_code == 404  # a draft is invisible to others
    tier.refresh_from_db()
    assert (tier.ships, tier.shipping_rules.count()) == (False, 0)
