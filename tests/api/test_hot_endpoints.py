"""The hot reads (campaign detail API, campaign page) come from Redis: totals at most a second
old, everything else (state, words, limited stock) exact from the commit on; query counts pinned."""

import time
from decimal import Decimal

import pytest
from django.test import Client

from campaigns.services import campaign_update
from closing.services import campaign_cancel, campaign_close_now
from pledges.services import pledge_create
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return factories.live_campaign(
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
    reward = campaign.rewards.get(title=title)
    with capture(execute=True):  # the commit's callbacks: the invalidation
        return pledge_create(
            backer=factories.UserFactory(),
            campaign_id=campaign.pk,
            reward_id=reward.pk,
            amount=Decimal(amount),
            payment_method_id=factories.payment_method(),
        )


def test_a_cached_detail_costs_no_query_and_a_fresh_one_two(campaign, api_client, django_assert_num_queries):
    with django_assert_num_queries(2):  # the campaign with its creator; its tiers
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
    draft = factories.draft_campaign()

    assert api_client.get(f"/api/campaigns/{draft.pk}/").status_code == 404
    assert api_client.get(f"/api/campaigns/{draft.pk}/").status_code == 404
    assert detail(client_for(draft.creator), draft)["state"] == "draft"


def test_the_page_shows_a_sold_out_tier_at_once(campaign, django_capture_on_commit_callbacks):
    assert "1 left of 1" in Client().get(f"/campaigns/{campaign.slug}/").content.decode()

    pledge(campaign, "Signed vinyl", "10.00", django_capture_on_commit_callbacks)

    assert "1 left of 1" not in Client().get(f"/campaigns/{campaign.slug}/").content.decode()


def test_a_signed_in_visitor_gets_the_page_built_for_them(campaign, django_assert_max_num_queries):
    Client().get(f"/campaigns/{campaign.slug}/")  # cached for the public
    member = Client()
    member.force_login(factories.UserFactory())

    response = member.get(f"/campaigns/{campaign.slug}/")

    assert response.status_code == 200
    assert b"Signed vinyl" in response.content


def test_the_campaign_list_query_count_does_not_grow_with_campaigns(api_client, django_assert_num_queries):
    for _ in range(3):
        factories.live_campaign(rewards=[{"title": "A", "minimum": Decimal("5")}])
    with django_assert_num_queries(3):  # count, the page of campaigns with creators, their tiers
        assert api_client.get("/api/campaigns/").json()["count"] == 3
    for _ in range(3):
        factories.live_campaign(rewards=[{"title": "A", "minimum": Decimal("5")}])
    with django_assert_num_queries(3):
        assert api_client.get("/api/campaigns/").json()["count"] == 6


def test_pledge_intake_query_count_is_pinned(campaign, django_assert_num_queries):
    """POST /api/pledges/ with a card: token, campaign, tier, no live pledge yet, the Customer
    (looked up, then under an advisory lock made and saved), then one transaction: campaign
    lock, tier claim, the pledge, the totals, the goal check, the confirmation e-mail's row."""
    from rest_framework.test import APIClient

    from accounts.tokens import token_issue

    backer = factories.UserFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=backer)}")
    reward = campaign.rewards.get(title="Signed vinyl")
    body = {
        "campaign": campaign.pk,
        "reward": reward.pk,
        "amount": "10.00",
        "payment_method": factories.payment_method(),
    }
    # 16 statements (the token's first use is written down) and the test transaction's 4 savepoint commands
    with django_assert_num_queries(20):
        assert client.post("/api/pledges/", body, format="json").status_code == 201

    other = factories.live_campaign(goal=Decimal("50.00"))
    body = {"campaign": other.pk, "amount": "10.00", "payment_method": factories.payment_method()}
    with django_assert_num_queries(13):  # the Customer is known: one look-up, no lock, no insert
        assert client.post("/api/pledges/", body, format="json").status_code == 201
