"""The hot reads of the API (campaign detail and list) come from Redis: totals at most a second
old, everything else (state, words, limited stock) exact from the commit on; query counts pinned."""

import time
from decimal import Decimal

import pytest

from campaigns.services import campaign_update
from closing.services import campaign_cancel, campaign_close_now
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return factories.LiveCampaignFactory(
        goal=Decimal("100.00"),
        rewards=[
            {"title": "Signed vinyl", "minimum": Decimal("10.00"), "limit": 1},
            {"title": "Download", "minimum": Decimal("5.00")},
        ],
    )


def detail(client, campaign) -> dict:
    response = client.get(f"/api/campaigns/{campaign.pk}/")
    assert response.status_code == 200
    return response.json()


def tier(body: dict, title: str) -> dict:
    return next(reward for reward in body["rewards"] if reward["title"] == title)


def pledge(campaign, title: str, amount: str, capture):
    """A pledge to the tier of that title, with the commit's callbacks run: the invalidation."""
    with capture(execute=True):
        return factories.PledgeFactory(campaign=campaign, reward=campaign.rewards.get(title=title), amount=amount)


def test_a_cached_detail_costs_no_query_and_a_fresh_one_four(campaign, api_client, django_assert_num_queries):
    # the campaign with its creator and category; its tiers; their shipping rules; its FAQ
    with django_assert_num_queries(4):
        first = detail(api_client, campaign)
    with django_assert_num_queries(0):
        again = detail(api_client, campaign)

    assert again == first
    assert first["id"] == campaign.pk and [r["title"] for r in first["rewards"]] == ["Download", "Signed vinyl"]


def test_a_limited_tier_shows_sold_out_from_the_commit_on(campaign, api_client, django_capture_on_commit_callbacks):
    assert tier(detail(api_client, campaign), "Signed vinyl")["remaining"] == 1  # now cached

    pledge(campaign, "Signed vinyl", "10.00", django_capture_on_commit_callbacks)

    assert tier(detail(api_client, campaign), "Signed vinyl")["remaining"] == 0


def test_totals_lag_at_most_a_second(campaign, api_client, django_capture_on_commit_callbacks):
    assert detail(api_client, campaign)["pledged"] == "0.00"  # now cached

    pledge(campaign, "Download", "7.00", django_capture_on_commit_callbacks)
    time.sleep(1.05)

    body = detail(api_client, campaign)
    assert (body["pledged"], body["backers_count"]) == ("7.00", 1)


def test_state_changes_and_edits_show_at_once(campaign, api_client, django_capture_on_commit_callbacks):
    detail(api_client, campaign)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_update(campaign=campaign, title="A new title")
    assert detail(api_client, campaign)["title"] == "A new title"

    with django_capture_on_commit_callbacks(execute=True):
        campaign_close_now(campaign_id=campaign.pk)
    assert detail(api_client, campaign)["state"] == "failed"


def test_a_canceled_campaign_is_gone_for_the_public_at_once(campaign, api_client, django_capture_on_commit_callbacks):
    detail(api_client, campaign)

    with django_capture_on_commit_callbacks(execute=True):
        campaign_cancel(campaign=campaign)

    assert api_client.get(f"/api/campaigns/{campaign.pk}/").status_code == 404
    # Its creator still sees it (not from the public cache).
    assert detail(client_for(campaign.creator), campaign)["state"] == "canceled"


def test_a_draft_is_never_served_to_the_public(api_client):
    draft = factories.DraftCampaignFactory()

    assert api_client.get(f"/api/campaigns/{draft.pk}/").status_code == 404
    assert api_client.get(f"/api/campaigns/{draft.pk}/").status_code == 404
    assert detail(client_for(draft.creator), draft)["state"] == "draft"


def test_the_campaign_list_query_count_does_not_grow_with_campaigns(
    api_client, django_assert_num_queries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the launches invalidate the lists
        for _ in range(3):
            factories.LiveCampaignFactory(rewards=[{"title": "A", "minimum": Decimal("5")}])
    # count, the page of campaigns with creators, their tiers, the tiers' shipping rules, their FAQs
    with django_assert_num_queries(5):
        assert api_client.get("/api/campaigns/").json()["count"] == 3
    with django_assert_num_queries(0):  # from the hot cache
        assert api_client.get("/api/campaigns/").json()["count"] == 3
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            factories.LiveCampaignFactory(rewards=[{"title": "A", "minimum": Decimal("5")}])
    with django_assert_num_queries(5):
        assert api_client.get("/api/campaigns/").json()["count"] == 6


def listed(client, campaign, query: str = "") -> dict | None:
    response = client.get(f"/api/campaigns/{query}")
    assert response.status_code == 200
    return next((item for item in response.json()["results"] if item["id"] == campaign.pk), None)


def test_the_list_shows_a_sold_out_tier_at_once(campaign, api_client, django_capture_on_commit_callbacks):
    assert tier(listed(api_client, campaign), "Signed vinyl")["remaining"] == 1  # now cached

    pledge(campaign, "Signed vinyl", "10.00", django_capture_on_commit_callbacks)

    assert tier(listed(api_client, campaign), "Signed vinyl")["remaining"] == 0


def test_the_list_totals_lag_at_most_a_second(campaign, api_client, django_capture_on_commit_callbacks):
    assert listed(api_client, campaign)["pledged"] == "0.00"

    pledge(campaign, "Download", "7.00", django_capture_on_commit_callbacks)
    time.sleep(1.05)

    body = listed(api_client, campaign)
    assert (body["pledged"], body["backers_count"]) == ("7.00", 1)


def test_the_list_drops_a_canceled_campaign_and_shows_edits_at_once(
    campaign, api_client, django_capture_on_commit_callbacks
):
    other = factories.LiveCampaignFactory(title="Another one")
    assert listed(api_client, campaign) is not None
    assert listed(api_client, other, "?state=live") is not None

    with django_capture_on_commit_callbacks(execute=True):
        campaign_cancel(campaign=campaign)
        campaign_update(campaign=other, title="Renamed")

    assert listed(api_client, campaign) is None
    assert listed(api_client, other, "?state=live")["title"] == "Renamed"


def test_the_list_of_a_signed_in_creator_is_their_own(campaign, api_client):
    draft = factories.DraftCampaignFactory()
    assert listed(api_client, draft) is None  # the public list, now cached

    assert listed(client_for(draft.creator), draft)["state"] == "draft"
    assert listed(api_client, draft) is None
