from decimal import Decimal

import pytest

from tests import factories
from updates.services import update_publish

pytestmark = pytest.mark.django_db


def test_the_home_page_lists_public_campaigns_but_not_drafts(client):
    live = factories.LiveCampaignFactory(title="Live one")
    factories.DraftCampaignFactory(title="Secret draft")

    page = client.get("/")

    assert page.status_code == 200
    assert live.title in page.text
    assert "Secret draft" not in page.text


def test_the_campaign_page_shows_progress_rewards_and_only_public_updates(client):
    campaign = factories.LiveCampaignFactory(
        goal=Decimal("100"), rewards=[{"title": "Art book", "minimum": Decimal("50"), "limit": 3}]
    )
    factories.PledgeFactory(campaign=campaign, amount="60", reward=campaign.rewards.get())
    update_publish(campaign=campaign, author=campaign.creator, title="Hello world", body="**Public** news")
    update_publish(campaign=campaign, author=campaign.creator, title="Hush", body="secret", audience="backers")

    page = client.get(f"/campaigns/{campaign.slug}/")

    assert page.status_code == 200
    assert "$60.00" in page.text
    assert "60%" in page.text
    assert "2 left of 3" in page.text
    assert "<strong>Public</strong>" in page.text
    assert "Hush" not in page.text
    assert client.get(f"/campaigns/{factories.DraftCampaignFactory().slug}/").status_code == 404


@pytest.fixture
def yen_campaign():
    campaign = factories.LiveCampaignFactory(
        goal=Decimal("100000"),
        currency="JPY",
        rewards=[{"title": "Signed LP", "minimum": Decimal("3000"), "shipping": Decimal("1500")}],
    )
    factories.PledgeFactory(
        campaign=campaign, amount="4500", reward=campaign.rewards.get().pk, shipping_country="JP"
    )  # the tier's minimum plus its shipping (rest of the world)
    return campaign


def test_a_yen_campaign_shows_whole_yen_on_its_page_and_in_the_list(client, yen_campaign):
    page = client.get(f"/campaigns/{yen_campaign.slug}/").text
    listing = client.get("/").text

    assert "¥4,500" in page  # pledged
    assert "¥3,000" in page  # the tier's minimum
    assert "¥100,000" in page  # the goal
    assert "¥1,500" in page  # the tier's shipping
    assert "¥4,500" in listing
    for text in (page, listing):
        assert "4500.00" not in text and "3000.00" not in text
        assert "4500 JPY" not in text and "3000 JPY" not in text


def test_german_readers_see_german_amounts(client, yen_campaign):
    page = client.get(f"/campaigns/{yen_campaign.slug}/", headers={"accept-language": "de"}).text

    assert "4.500\xa0¥" in page
    assert "3.000\xa0¥" in page
    assert "100.000\xa0¥" in page
    assert "¥3,000" not in page
