"""Personal answers carry Cache-Control: no-store (core.cache_headers), from the API and the
pages alike; an anonymous visitor's campaign list and pages stay cacheable as before."""

from decimal import Decimal

import pytest
from django.test import Client

from tests import factories
from tests.support.api import client_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return factories.LiveCampaignFactory(rewards=[{"title": "Zine", "minimum": Decimal("5.00")}])


@pytest.fixture
def pledge(campaign, user):
    return factories.PledgeFactory(backer=user, campaign=campaign, amount="20.00")


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_the_api_answers_about_pledges_and_accounts_are_not_stored(user, pledge, campaign):
    api = client_as(user)
    answers = [
        api.get("/api/pledges/"),
        api.get(f"/api/pledges/{pledge.pk}/"),
        api.get("/api/pledges/987654321/"),  # an error about a pledge too
        api.get("/api/auth/tokens/"),
        api.get("/api/exports/"),
        client_as(None).post("/api/auth/token/", {"username": user.username, "password": "x"}, format="json"),
        api.get(f"/api/campaigns/{campaign.pk}/"),  # public data, but asked with a token
    ]

    assert [(r.status_code, _no_store(r)) for r in answers] == [
        (200, True),
        (200, True),
        (404, True),
        (200, True),
        (200, True),
        (400, True),
        (200, True),
    ]


def test_personal_pages_are_not_stored(user, pledge, campaign, creator):
    backer, studio = Client(), Client()
    backer.force_login(user)
    studio.force_login(campaign.creator)
    answers = [
        backer.get("/me/pledges/"),
        backer.get(f"/me/pledges/{pledge.pk}/"),
        backer.get(f"/campaigns/{campaign.slug}/"),  # the page of someone signed in names them
        studio.get("/studio/"),
        studio.get(f"/studio/{campaign.slug}/"),
        Client().get("/login/"),
    ]

    assert [(r.status_code, _no_store(r)) for r in answers] == [(200, True)] * 6
    checkout = Client()
    checkout.force_login(creator)
    other = factories.LiveCampaignFactory()
    page = checkout.get(f"/campaigns/{other.slug}/pledge/")
    assert (page.status_code, _no_store(page)) == (200, True)


def test_anonymous_campaign_pages_and_reads_stay_cacheable(campaign):
    visitor = Client()
    answers = [
        visitor.get("/"),
        visitor.get(f"/campaigns/{campaign.slug}/"),
        client_as(None).get("/api/campaigns/"),
        client_as(None).get(f"/api/campaigns/{campaign.pk}/"),
    ]

    assert [(r.status_code, r.get("Cache-Control")) for r in answers] == [(200, None)] * 4


def test_a_view_that_sets_its_own_cache_control_keeps_it(user):
    web = Client()
    web.force_login(user)

    page = web.get("/me/account/")

    assert page["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"  # never_cache's
