"""The web checkout and pledge pages with a destination and add-ons; the studio's rules and add-ons."""

import re
from decimal import Decimal

import pytest
from django.test import Client

from pledges.models import Pledge
from rewards.regions import Region
from rewards.services import Rule, add_on_create, reward_create
from tests import factories

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def campaign():
    from campaigns.services import campaign_launch

    draft = factories.DraftCampaignFactory(currency="EUR", goal=Decimal("1000.00"))
    reward_create(
        campaign=draft,
        title="Vinyl",
        minimum=Decimal("30.00"),
        shipping_rules=[Rule(price=Decimal("7.50"), region=Region.EU), Rule(price=Decimal("4.00"), country="AT")],
    )
    add_on_create(campaign=draft, title="Poster", price=Decimal("12.50"), limit=10, max_per_backer=2)
    return campaign_launch(campaign=draft)


def test_the_campaign_page_says_where_a_tier_ships_and_shows_add_ons(campaign):
    page = Client().get(f"/campaigns/{campaign.slug}/").content.decode()

    assert re.search(r"Ships to: .*European Union \(€7\.50\)", page)
    assert "Austria (€4.00)" in page
    assert 'id="add-on-' in page and "Poster" in page and "€12.50" in page


def test_a_backer_in_germany_pledges_with_an_add_on(campaign):
    backer = factories.UserFactory()
    vinyl, poster = campaign.rewards.get(), campaign.add_ons.get()
    client = logged_in(backer)
    form = client.get(f"/campaigns/{campaign.slug}/pledge/?reward={vinyl.pk}").content.decode()
    assert 'name="shipping_country"' in form and f'name="add_on_{poster.pk}"' in form

    sent = client.post(
        f"/campaigns/{campaign.slug}/pledge/",
        {"reward": vinyl.pk, "shipping_country": "DE", f"add_on_{poster.pk}": "1", "amount": "50.00", "token": "t-1"},
    )

    assert sent.status_code == 302, sent.content.decode()[:2000]
    pledge = Pledge.objects.get(backer=backer)
    assert (pledge.amount, pledge.shipping_amount, str(pledge.shipping_country)) == (
        Decimal("50.00"),
        Decimal("7.50"),
        "DE",
    )  # 30 + 7.50 EU shipping + 12.50
    assert list(pledge.add_on_lines.values_list("add_on__title", "quantity")) == [("Poster", 1)]
    detail = client.get(f"/me/pledges/{pledge.pk}/").content.decode()
    assert "Germany" in detail and "€7.50" in detail and "1 \u00d7 Poster" in detail
    listing = client.get("/me/pledges/").content.decode()
    assert "Ships to Germany (€7.50 shipping)" in listing and "Add-ons: 1 \u00d7 Poster" in listing


def test_an_empty_amount_is_the_least_the_choices_need(campaign):
    backer = factories.UserFactory()
    vinyl = campaign.rewards.get()

    sent = logged_in(backer).post(
        f"/campaigns/{campaign.slug}/pledge/",
        {"reward": vinyl.pk, "shipping_country": "AT", "amount": "", "token": "t"},
    )

    assert sent.status_code == 302
    assert Pledge.objects.get(backer=backer).amount == Decimal("34.00")  # Austria's own rule beats the EU's


def test_a_place_the_tier_does_not_ship_to_is_a_form_error_on_the_field(campaign):
    backer = factories.UserFactory()
    vinyl = campaign.rewards.get()

    refused = logged_in(backer).post(
        f"/campaigns/{campaign.slug}/pledge/",
        {"reward": vinyl.pk, "shipping_country": "US", "amount": "60.00", "token": "t-2"},
    )

    assert refused.status_code == 400
    page = refused.content.decode()
    field = page[page.index('name="shipping_country"') - 600 : page.index('name="shipping_country"')]
    assert "This reward does not ship to United States of America." in field
    assert not Pledge.objects.filter(backer=backer).exists()


def test_the_german_checkout_names_countries_in_german(campaign):
    backer = factories.UserFactory()
    page = logged_in(backer).get(f"/campaigns/{campaign.slug}/pledge/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert ">Deutschland<" in page and ">Österreich<" in page


def test_the_backer_adds_an_add_on_later_on_the_pledge_page(campaign):
    backer = factories.UserFactory()
    vinyl, poster = campaign.rewards.get(), campaign.add_ons.get()
    pledge = factories.PledgeFactory(
        campaign=campaign, backer=backer, reward=vinyl, amount="37.50", shipping_country="FR"
    )

    changed = logged_in(backer).post(
        f"/me/pledges/{pledge.pk}/change/",
        {"reward": vinyl.pk, "shipping_country": "FR", f"add_on_{poster.pk}": "2", "amount": "37.50"},
    )

    assert changed.status_code == 302, changed.content.decode()[:1500]
    pledge.refresh_from_db()
    poster.refresh_from_db()
    assert (pledge.amount, poster.claimed) == (Decimal("62.50"), 2)


def test_the_studio_sets_shipping_rules_and_an_add_on(campaign):
    creator = campaign.creator
    client = logged_in(creator)
    vinyl = campaign.rewards.get()
    page = client.get(f"/studio/{campaign.slug}/rewards/{vinyl.pk}/").content.decode()
    assert 'value="region:eu" selected' in page and 'value="country:AT" selected' in page

    saved = client.post(
        f"/studio/{campaign.slug}/rewards/{vinyl.pk}/",
        {
            "title": "Vinyl",
            "minimum": "30.00",
            "ships": "on",
            "shipping-TOTAL_FORMS": "3",
            "shipping-INITIAL_FORMS": "2",
            "shipping-0-destination": "region:eu",
            "shipping-0-price": "8.00",
            "shipping-1-destination": "",
            "shipping-1-price": "",
            "shipping-2-destination": "region:world",
            "shipping-2-price": "18.00",
        },
    )
    assert saved.status_code == 302, saved.content.decode()[:1500]
    assert sorted((r.region, r.price) for r in vinyl.shipping_rules.all()) == [
        ("eu", Decimal("8.00")),
        ("world", Decimal("18.00")),
    ]

    added = client.post(
        f"/studio/{campaign.slug}/add-ons/new/",
        {"title": "Tote bag", "price": "15.00", "limit": "", "max_per_backer": "1", "tiers": [str(vinyl.pk)]},
    )
    assert added.status_code == 302, added.content.decode()[:1500]
    tote = campaign.add_ons.get(title="Tote bag")
    assert (tote.price, list(tote.tiers.all())) == (Decimal("15.00"), [vinyl])
    dashboard = client.get(f"/studio/{campaign.slug}/").content.decode()
    assert "Tote bag" in dashboard and "Rest of the world (€18.00)" in dashboard

    stranger = logged_in(factories.UserFactory())
    assert stranger.get(f"/studio/{campaign.slug}/add-ons/{tote.pk}/").status_code == 404
