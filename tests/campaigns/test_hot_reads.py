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


def test_a_cached_page_costs_no_query_and_holds_nothing_of_a_visitor(campaign, django_assert_num_queries):
    first = Client().get(f"/campaigns/{campaign.slug}/")
    assert first.status_code == 200 and not first.cookies
    with django_assert_num_queries(0):
        again = Client().get(f"/campaigns/{campaign.slug}/")

    assert again.content == first.content
    assert b"csrfmiddlewaretoken" not in again.content
    assert "Cookie" in again["Vary"]


def test_the_page_never_shows_a_sold_out_tier_as_available(campaign, django_capture_on_commit_callbacks):
    vinyl = campaign.rewards.get(title="Signed vinyl")
    checkout = f"?reward={vinyl.pk}"
    assert checkout in Client().get(f"/campaigns/{campaign.slug}/").content.decode()  # cached

    pledge(campaign, "Signed vinyl", "10.00", django_capture_on_commit_callbacks)

    page = Client().get(f"/campaigns/{campaign.slug}/").content.decode()
    assert "Sold out" in page and checkout not in page


def test_a_signed_in_visitor_gets_the_page_built_for_them(campaign, django_capture_on_commit_callbacks):
    Client().get(f"/campaigns/{campaign.slug}/")  # cached for the public
    backer = factories.UserFactory()
    reward = campaign.rewards.get(title="Download")
    with django_capture_on_commit_callbacks(execute=True):
        pledge_create(
            backer=backer,
            campaign_id=campaign.pk,
            reward_id=reward.pk,
            amount=Decimal("6.00"),
            payment_method_id=factories.payment_method(),
        )
    member = Client()
    member.force_login(backer)

    page = member.get(f"/campaigns/{campaign.slug}/").content.decode()

    assert "You back this campaign with $6.00." in page
    assert "Remind me 48 hours before it ends" in page
    assert "You back this campaign" not in Client().get(f"/campaigns/{campaign.slug}/").content.decode()


def test_the_csrf_token_of_a_signed_in_page_works_after_the_public_one_was_cached(campaign):
    from notifications.models import Reminder

    Client().get(f"/campaigns/{campaign.slug}/")  # cached for the public
    user = factories.UserFactory()
    member = Client(enforce_csrf_checks=True)
    member.force_login(user)
    page = member.get(f"/campaigns/{campaign.slug}/").content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]

    response = member.post(f"/campaigns/{campaign.slug}/remind/", {"csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert Reminder.objects.filter(user=user, campaign=campaign).exists()
    # The message it left is the member's alone: the public page still has none.
    assert "before this campaign ends." in member.get(f"/campaigns/{campaign.slug}/").content.decode()
    assert "before this campaign ends." not in Client().get(f"/campaigns/{campaign.slug}/").content.decode()


def test_the_campaign_list_query_count_does_not_grow_with_campaigns(
    api_client, django_assert_num_queries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the launches invalidate the lists
        for _ in range(3):
            factories.live_campaign(rewards=[{"title": "A", "minimum": Decimal("5")}])
    with django_assert_num_queries(3):  # count, the page of campaigns with creators, their tiers
        assert api_client.get("/api/campaigns/").json()["count"] == 3
    with django_assert_num_queries(0):  # from the hot cache
        assert api_client.get("/api/campaigns/").json()["count"] == 3
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            factories.live_campaign(rewards=[{"title": "A", "minimum": Decimal("5")}])
    with django_assert_num_queries(3):
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
    other = factories.live_campaign(title="Another one")
    assert listed(api_client, campaign) is not None
    assert listed(api_client, other, "?state=live") is not None

    with django_capture_on_commit_callbacks(execute=True):
        campaign_cancel(campaign=campaign)
        campaign_update(campaign=other, title="Renamed")

    assert listed(api_client, campaign) is None
    assert listed(api_client, other, "?state=live")["title"] == "Renamed"


def test_the_list_of_a_signed_in_creator_is_their_own(campaign, api_client):
    draft = factories.draft_campaign()
    assert listed(api_client, draft) is None  # the public list, now cached

    assert listed(client_for(draft.creator), draft)["state"] == "draft"
    assert listed(api_client, draft) is None


def test_the_list_page_is_cached_and_shows_a_close_at_once(
    campaign, django_assert_num_queries, django_capture_on_commit_callbacks
):
    first = Client().get("/")
    assert first.status_code == 200 and campaign.title in first.content.decode()
    with django_assert_num_queries(0):
        assert Client().get("/").content == first.content

    with django_capture_on_commit_callbacks(execute=True):
        campaign_close_now(campaign_id=campaign.pk)

    assert "Failed" in Client().get("/").content.decode()


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
