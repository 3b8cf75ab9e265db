from decimal import Decimal

import pytest

from tests import factories
from tests.pledges.helpers import back
from updates.services import update_publish

pytestmark = pytest.mark.django_db


def test_the_home_page_lists_public_campaigns_but_not_drafts(client):
    live = factories.live_campaign(title="Live one")
    factories.draft_campaign(title="Secret draft")

    page = client.get("/")

    assert page.status_code == 200
    assert live.title in page.text
    assert "Secret draft" not in page.text


def test_the_campaign_page_shows_progress_rewards_and_only_public_updates(client):
    campaign = factories.live_campaign(
        goal=Decimal("100"), rewards=[{"title": "Art book", "minimum": Decimal("50"), "limit": 3}]
    )
    back(campaign, "60", reward=campaign.rewards.get().pk)
    update_publish(campaign=campaign, author=campaign.creator, title="Hello world", body="**Public** news")
    update_publish(campaign=campaign, author=campaign.creator, title="Hush", body="secret", audience="backers")

    page = client.get(f"/campaigns/{campaign.slug}/")

    assert page.status_code == 200
    assert "60.00 USD" in page.text
    assert "60%" in page.text
    assert "2 left of 3" in page.text
    assert "<strong>Public</strong>" in page.text
    assert "Hush" not in page.text
    assert client.get(f"/campaigns/{factories.draft_campaign().slug}/").status_code == 404
