"""Referrals: a campaign link's ?ref= (or the site that linked to it) is kept through the checkout
in a signed cookie and stored with the pledge; the creator sees pledges and amount per source."""

from decimal import Decimal

import pytest
from django.test import Client

from community.middleware import COOKIE
from community.models import PledgeReferral
from community.services import referral_record, referral_tag_create
from pledges.models import Pledge
from tests import factories
from tests.support.api import assert_error, client_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(creator):
    return factories.LiveCampaignFactory(creator=creator, title="Art book")


def _checkout(browser: Client, campaign, amount="25.00") -> Pledge:
    response = browser.post(
        f"/campaigns/{campaign.slug}/pledge/", {"reward": "", "amount": amount, "token": f"t-{amount}"}
    )
    assert response.status_code == 302, response.content[:500]
    return Pledge.objects.get(campaign=campaign, backer_id=browser.session["_auth_user_id"])


def test_a_ref_tag_is_kept_through_the_checkout_and_stored_on_the_pledge(campaign):
    browser = Client()
    assert browser.get(f"/campaigns/{campaign.slug}/?ref=podcast").status_code == 200
    browser.force_login(factories.UserFactory())  # signing in after the visit keeps it
    browser.get(f"/campaigns/{campaign.slug}/")  # a later direct visit says nothing new

    pledge = _checkout(browser, campaign)

    assert PledgeReferral.objects.get(pledge=pledge).source == "tag:podcast"


def test_an_outside_site_is_the_source_when_there_is_no_tag(campaign):
    browser = Client()
    browser.get(f"/campaigns/{campaign.slug}/", HTTP_REFERER="https://www.news.example/story?id=3")
    browser.force_login(factories.UserFactory())

    pledge = _checkout(browser, campaign)

    assert PledgeReferral.objects.get(pledge=pledge).source == "site:news.example"


def test_site_search_and_category_links_count_as_such(campaign):
    searcher, browser = Client(), Client()
    searcher.get(f"/campaigns/{campaign.slug}/", HTTP_REFERER="http://testserver/?q=art")
    browser.get(f"/campaigns/{campaign.slug}/?ref=category")
    searcher.force_login(factories.UserFactory())
    browser.force_login(factories.UserFactory())

    assert PledgeReferral.objects.get(pledge=_checkout(searcher, campaign)).source == "search"
    assert PledgeReferral.objects.get(pledge=_checkout(browser, campaign)).source == "category"


def test_a_direct_visit_stores_nothing(campaign):
    browser = Client()
    browser.force_login(factories.UserFactory())
    browser.get(f"/campaigns/{campaign.slug}/")

    pledge = _checkout(browser, campaign)

    assert not PledgeReferral.objects.filter(pledge=pledge).exists()


@pytest.mark.parametrize("cookie", ["garbage", '{"x":"tag:forged"}', "a" * 5000])
def test_a_forged_cookie_counts_as_direct(campaign, cookie):
    browser = Client()
    browser.cookies[COOKIE] = cookie
    browser.force_login(factories.UserFactory())

    pledge = _checkout(browser, campaign)

    assert not PledgeReferral.objects.filter(pledge=pledge).exists()


@pytest.mark.parametrize("ref", ["../etc", "UPPER CASE", "x" * 41, "<script>", "ta\x00g"])
def test_a_malformed_ref_is_ignored(campaign, ref):
    browser = Client()
    response = browser.get(f"/campaigns/{campaign.slug}/", {"ref": ref})

    assert response.status_code in (200, 400)
    assert COOKIE not in response.cookies


def test_the_dashboard_counts_pledges_and_amounts_per_source(campaign, creator):
    referral_tag_create(campaign=campaign, slug="podcast")
    referral_tag_create(campaign=campaign, slug="unused")
    plan = [("30.00", None), ("20.00", "tag:podcast"), ("15.50", "tag:podcast"), ("40.00", "site:news.example")]
    plan += [("12.00", "search"), ("99.00", "tag:podcast")]
    pledges = []
    for amount, source in plan:
        pledge = factories.PledgeFactory(campaign=campaign, amount=Decimal(amount))
        referral_record(pledge=pledge, source=source)
        pledges.append(pledge)
    from pledges.services import pledge_cancel

    pledge_cancel(pledge=pledges[-1])  # a canceled pledge counts nowhere

    rows = client_as(creator).get(f"/api/campaigns/{campaign.pk}/referrals/").json()

    assert rows == [
        {"source": "direct", "pledges": 1, "amount": "30.00"},
        {"source": "site:news.example", "pledges": 1, "amount": "40.00"},
        {"source": "tag:podcast", "pledges": 2, "amount": "35.50"},
        {"source": "search", "pledges": 1, "amount": "12.00"},
        {"source": "tag:unused", "pledges": 0, "amount": "0.00"},
    ]
    browser = Client()
    browser.force_login(creator)
    studio = browser.get(f"/studio/{campaign.slug}/").text
    assert 'data-source="tag:podcast"' in studio and "35.50" in studio


def test_only_the_creator_reads_the_sources(campaign):
    assert_error(client_as(factories.UserFactory()).get(f"/api/campaigns/{campaign.pk}/referrals/"), 404)


@pytest.mark.parametrize("slug", ["", "Bad Tag", "x" * 41, "search", "direct", "-edge", "é"])
def test_bad_tags_are_refused(campaign, creator, slug):
    response = client_as(creator).post(f"/api/campaigns/{campaign.pk}/referral-tags/", {"slug": slug}, format="json")

    assert_error(response, 400)
    assert not campaign.referral_tags.exists()


def test_creators_make_and_remove_tags(campaign, creator):
    made = client_as(creator).post(f"/api/campaigns/{campaign.pk}/referral-tags/", {"slug": "Podcast"}, format="json")
    twice = client_as(creator).post(f"/api/campaigns/{campaign.pk}/referral-tags/", {"slug": "podcast"}, format="json")
    listed = client_as(creator).get(f"/api/campaigns/{campaign.pk}/referral-tags/").json()
    removed = client_as(creator).delete(f"/api/campaigns/{campaign.pk}/referral-tags/podcast/")

    assert made.status_code == 201 and made.json()["link"] == f"/campaigns/{campaign.slug}/?ref=podcast"
    assert_error(twice, 409, code="duplicate_tag")
    assert [t["slug"] for t in listed] == ["podcast"]
    assert removed.status_code == 204 and not campaign.referral_tags.exists()


def test_another_creator_cannot_tag_this_campaign(campaign):
    other = factories.UserFactory()

    response = client_as(other).post(f"/api/campaigns/{campaign.pk}/referral-tags/", {"slug": "mine"}, format="json")

    assert_error(response, 404)


def test_an_api_pledge_carries_its_ref(campaign):
    backer = factories.UserFactory()

    response = client_as(backer).post(
        "/api/pledges/",
        {"campaign": campaign.pk, "amount": "10.00", "payment_method": factories.payment_method(), "ref": "newsletter"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert PledgeReferral.objects.get(pledge_id=response.json()["id"]).source == "tag:newsletter"
