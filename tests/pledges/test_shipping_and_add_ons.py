"""A pledge's destination, shipping and add-ons: priced at pledge time into the one amount, refused
clearly when wrong, claimed and released like the tier's stock."""

from decimal import Decimal

import pytest

from pledges.models import Pledge, PledgeAddOn
from pledges.services import pledge_cancel, pledge_update, pledges_lapse_expired
from rewards.models import AddOn
from rewards.regions import Region
from rewards.services import Rule, add_on_create, reward_create, reward_update
from tests import factories
from tests.conftest import client_for
from tests.support.api import assert_error

pytestmark = pytest.mark.django_db


def _campaign(currency: str, minimum: str, eu: str, world: str):
    campaign = factories.DraftCampaignFactory(currency=currency, goal=Decimal("100000"))
    reward_create(
        campaign=campaign,
        title="Vinyl",
        minimum=Decimal(minimum),
        limit=10,
        shipping_rules=[Rule(price=Decimal(eu), region=Region.EU), Rule(price=Decimal(world), region=Region.WORLD)],
    )
    reward_create(campaign=campaign, title="Download", minimum=Decimal(minimum))
    return campaign


def _launched(campaign):
    from campaigns.services import campaign_launch

    return campaign_launch(campaign=campaign)


@pytest.fixture
def eur():
    campaign = _campaign("EUR", "30.00", "7.50", "15.00")
    add_on_create(campaign=campaign, title="Poster", price=Decimal("12.50"), limit=5, max_per_backer=2)
    return _launched(campaign)


@pytest.fixture
def backer():
    return factories.UserFactory()


def _pledge(user, body):
    return client_for(user).post("/api/pledges/", {"payment_method": factories.payment_method(), **body}, format="json")


def _body(campaign, **extra):
    vinyl = campaign.rewards.get(title="Vinyl")
    return {"campaign": campaign.pk, "reward": vinyl.pk, **extra}


def test_a_german_backer_pays_the_minimum_eu_shipping_and_the_add_on(eur, backer):
    poster = eur.add_ons.get()

    response = _pledge(
        backer, _body(eur, amount="62.50", shipping_country="DE", add_ons=[{"add_on": poster.pk, "quantity": 2}])
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount"], body["shipping_country"], body["shipping_amount"]) == ("62.50", "DE", "7.50")
    assert body["add_ons"] == [{"add_on": poster.pk, "title": "Poster", "quantity": 2, "unit_price": "12.50"}]
    pledge = Pledge.objects.get(pk=body["id"])
    assert (pledge.amount, pledge.state) == (Decimal("62.50"), Pledge.State.ACTIVE)  # 30 + 7.50 + 2 x 12.50
    poster.refresh_from_db()
    assert poster.claimed == 2
    eur.refresh_from_db()
    assert eur.pledged == Decimal("62.50")


def test_a_yen_pledge_adds_whole_yen():
    campaign = _campaign("JPY", "3000", "1200", "1800")
    add_on_create(campaign=campaign, title="Tote", price=Decimal("900"))
    campaign = _launched(campaign)
    tote = campaign.add_ons.get()

    too_little = _pledge(
        factories.UserFactory(),
        _body(campaign, amount="5699", shipping_country="JP", add_ons=[{"add_on": tote.pk, "quantity": 1}]),
    )
    assert_error(too_little, 400, code="below_minimum")
    assert "at least 5700 JPY" in too_little.json()["detail"]

    exact = _pledge(
        factories.UserFactory(),
        _body(campaign, amount="5700", shipping_country="JP", add_ons=[{"add_on": tote.pk, "quantity": 1}]),
    )
    assert exact.status_code == 201, exact.content
    assert (exact.json()["amount"], exact.json()["shipping_amount"]) == ("5700", "1800")


def test_usd_shipping_with_an_extra_on_top():
    campaign = _launched(_campaign("USD", "25.00", "9.99", "12.01"))

    response = _pledge(factories.UserFactory(), _body(campaign, amount="40.00", shipping_country="US"))

    assert response.status_code == 201, response.content
    pledge = Pledge.objects.get(pk=response.json()["id"])
    assert (pledge.amount, pledge.shipping_amount, str(pledge.shipping_country)) == (
        Decimal("40.00"),
        Decimal("12.01"),
        "US",
    )


def test_a_digital_tier_ignores_a_destination(eur, backer):
    download = eur.rewards.get(title="Download")

    response = _pledge(backer, {"campaign": eur.pk, "reward": download.pk, "amount": "30.00", "shipping_country": "DE"})

    assert response.status_code == 201, response.content
    assert (response.json()["shipping_country"], response.json()["shipping_amount"]) == ("", "0.00")


def test_a_place_the_tier_does_not_ship_to_is_400_on_the_field_and_nothing_is_kept(backer):
    campaign = factories.DraftCampaignFactory(currency="EUR")
    reward_create(
        campaign=campaign, title="LP", minimum=Decimal("20.00"), shipping_rules=[Rule(price=Decimal("5"), region="eu")]
    )
    campaign = _launched(campaign)

    response = _pledge(backer, _body_for(campaign, amount="25.00", shipping_country="US"))

    body = assert_error(response, 400, code="not_shipped", field="shipping_country")
    assert body["detail"] == "This reward does not ship to United States of America."
    assert not Pledge.objects.filter(campaign=campaign).exists()
    assert campaign.rewards.get().claimed == 0


def _body_for(campaign, **extra):
    return {"campaign": campaign.pk, "reward": campaign.rewards.get().pk, **extra}


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"shipping_country": "XX"}, "shipping_country"),
        ({"shipping_country": ""}, "shipping_country"),
        ({"shipping_country": "DEU"}, "shipping_country"),
        ({"add_ons": [{"add_on": "__POSTER__", "quantity": 10**9}]}, "add_ons"),
        ({"add_ons": [{"add_on": "__POSTER__", "quantity": -1}]}, "add_ons"),
        ({"add_ons": [{"add_on": "__POSTER__", "quantity": 3}]}, "add_ons"),  # over the per-backer maximum (2)
        ({"add_ons": [{"add_on": "__POSTER__", "quantity": 1}, {"add_on": "__POSTER__", "quantity": 1}]}, "add_ons"),
        ({"add_ons": [{"add_on": "__OTHER__", "quantity": 1}]}, "add_ons"),  # another campaign's
        ({"add_ons": [{"add_on": "__ONLY_DOWNLOAD__", "quantity": 1}]}, "add_ons"),  # not offered with Vinyl
        ({"add_ons": "poster"}, "add_ons"),
    ],
    ids=repr,
)
def test_bad_destination_or_add_on_is_400_and_nothing_moves(eur, backer, extra, field):
    poster = eur.add_ons.get()
    other = add_on_create(campaign=factories.DraftCampaignFactory(), title="Elsewhere", price=Decimal("5.00"))
    download = eur.rewards.get(title="Download")
    only_download = add_on_create(campaign=eur, title="Stickers", price=Decimal("2.00"), tiers=[download.pk])
    ids = {"__POSTER__": poster.pk, "__OTHER__": other.pk, "__ONLY_DOWNLOAD__": only_download.pk}
    if isinstance(extra.get("add_ons"), list):
        extra = {"add_ons": [{**line, "add_on": ids[line["add_on"]]} for line in extra["add_ons"]]}
    body = {"shipping_country": "DE", "amount": "100.00", **extra}

    response = _pledge(backer, _body(eur, **body))

    assert_error(response, 400, field=field)
    assert not Pledge.objects.filter(campaign=eur).exists()
    assert list(AddOn.objects.filter(campaign=eur).values_list("claimed", flat=True)) == [0, 0]
    assert eur.rewards.get(title="Vinyl").claimed == 0


def test_an_add_on_needs_a_reward(eur, backer):
    poster = eur.add_ons.get()

    response = _pledge(
        backer, {"campaign": eur.pk, "amount": "20.00", "add_ons": [{"add_on": poster.pk, "quantity": 1}]}
    )

    assert_error(response, 400, code="add_on_not_offered", field="add_ons")


def test_adding_an_add_on_later_raises_the_amount_and_claims_it(eur, backer):
    poster = eur.add_ons.get()
    pledge = factories.PledgeFactory(
        campaign=eur, backer=backer, reward=eur.rewards.get(title="Vinyl"), amount="40.00", shipping_country="FR"
    )  # 30 + 7.50 shipping + 2.50 on top

    response = client_for(backer).patch(
        f"/api/pledges/{pledge.pk}/", {"add_ons": [{"add_on": poster.pk, "quantity": 2}]}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["amount"] == "65.00"  # what was given on top stays
    poster.refresh_from_db()
    eur.refresh_from_db()
    assert (poster.claimed, eur.pledged) == (2, Decimal("65.00"))

    dropped = client_for(backer).patch(f"/api/pledges/{pledge.pk}/", {"add_ons": []}, format="json")
    assert dropped.json()["amount"] == "40.00"
    poster.refresh_from_db()
    assert (poster.claimed, PledgeAddOn.objects.filter(pledge=pledge).count()) == (0, 0)


def test_changing_the_destination_prices_shipping_again_and_keeps_it_otherwise(eur, backer):
    vinyl = eur.rewards.get(title="Vinyl")
    pledge = factories.PledgeFactory(campaign=eur, backer=backer, reward=vinyl, amount="37.50", shipping_country="DE")
    reward_update(
        reward=vinyl,
        shipping_rules=[Rule(price=Decimal("9.00"), region="eu"), Rule(price=Decimal("15.00"), region="world")],
    )

    kept = pledge_update(pledge=pledge, amount=Decimal("40.00"))
    assert (kept.amount, kept.shipping_amount) == (Decimal("40.00"), Decimal("7.50"))  # fixed at pledge time

    moved = pledge_update(pledge=pledge, shipping_country="JP")
    assert (moved.amount, moved.shipping_amount, str(moved.shipping_country)) == (
        Decimal("47.50"),
        Decimal("15.00"),
        "JP",
    )


def test_cancel_releases_the_add_ons(eur, backer):
    poster = eur.add_ons.get()
    pledge = factories.PledgeFactory(
        campaign=eur,
        backer=backer,
        reward=eur.rewards.get(title="Vinyl"),
        amount="50.00",
        shipping_country="DE",
        add_ons={poster.pk: 1},
    )
    poster.refresh_from_db()
    assert poster.claimed == 1

    pledge_cancel(pledge=pledge)

    poster.refresh_from_db()
    assert poster.claimed == 0


def test_a_lapsed_hold_releases_its_add_ons(eur, backer):
    from datetime import timedelta

    from django.utils import timezone

    poster = eur.add_ons.get()
    factories.PledgeFactory(
        campaign=eur,
        backer=backer,
        reward=eur.rewards.get(title="Vinyl"),
        amount="62.50",
        shipping_country="DE",
        add_ons={poster.pk: 2},
        card=None,
    )
    poster.refresh_from_db()
    assert poster.claimed == 2

    assert pledges_lapse_expired(now=timezone.now() + timedelta(days=1)) == 1

    poster.refresh_from_db()
    assert poster.claimed == 0


def test_a_sold_out_add_on_is_409(eur):
    poster = eur.add_ons.get()  # limit 5, at most 2 each
    for _ in range(2):
        factories.PledgeFactory(
            campaign=eur,
            reward=eur.rewards.get(title="Vinyl"),
            amount="62.50",
            shipping_country="DE",
            add_ons={poster.pk: 2},
        )

    response = _pledge(
        factories.UserFactory(),
        _body(eur, amount="62.50", shipping_country="DE", add_ons=[{"add_on": poster.pk, "quantity": 2}]),
    )

    assert_error(response, 409, code="add_on_sold_out")
    poster.refresh_from_db()
    assert poster.claimed == 4


def test_the_creator_manages_add_ons_over_the_api():
    campaign = factories.DraftCampaignFactory(currency="EUR")
    tier = factories.RewardTierFactory(campaign=campaign)
    creator = client_for(campaign.creator)

    created = creator.post(
        f"/api/campaigns/{campaign.pk}/add-ons/",
        {"title": "Poster", "price": "12.50", "limit": 100, "max_per_backer": 3, "tiers": [tier.pk]},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert {k: created.json()[k] for k in ("price", "limit", "max_per_backer", "tiers", "remaining")} == {
        "price": "12.50",
        "limit": 100,
        "max_per_backer": 3,
        "tiers": [tier.pk],
        "remaining": 100,
    }
    add_on_id = created.json()["id"]
    assert (
        creator.patch(f"/api/campaigns/{campaign.pk}/add-ons/{add_on_id}/", {"tiers": []}, format="json").json()[
            "tiers"
        ]
        == []
    )
    stranger = client_for(factories.UserFactory())
    assert stranger.delete(f"/api/campaigns/{campaign.pk}/add-ons/{add_on_id}/").status_code == 404
    assert creator.delete(f"/api/campaigns/{campaign.pk}/add-ons/{add_on_id}/").status_code == 204
    bad = creator.post(
        f"/api/campaigns/{campaign.pk}/add-ons/", {"title": "X", "price": "1.001", "tiers": [10**9]}, format="json"
    )
    assert bad.status_code == 400
