"""The hot pages (a campaign's page, the campaign list) come from the page cache: what every
visitor without cookies gets, exact from the commit on, and nothing of one visitor served to another."""

from decimal import Decimal

import pytest
from django.test import Client

from closing.services import campaign_close_now
from tests import factories

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


def pledge(campaign, title: str, amount: str, capture):
    """A pledge to the tier of that title, with the commit's callbacks run: the invalidation."""
    with capture(execute=True):
        return factories.PledgeFactory(campaign=campaign, reward=campaign.rewards.get(title=title), amount=amount)


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
        factories.PledgeFactory(campaign=campaign, backer=backer, amount=Decimal("6.00"), reward=reward)
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
