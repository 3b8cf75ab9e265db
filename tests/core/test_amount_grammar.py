"""One way to write an amount, on the web pages and in the API (core.money.PLAIN_AMOUNT):
ASCII digits and at most one dot. "1_000", Arabic-Indic digits and "1e3", which Python's
Decimal reads, are refused on both paths and nothing is created."""

from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.models import Campaign
from core.money import is_plain_amount
from pledges.models import Pledge
from tests import factories
from tests.support.api import assert_error, client_as

pytestmark = pytest.mark.django_db

NOT_AMOUNTS = ["1_000", "\u0661\u0660\u0660", "1e3", "1E+3", "Infinity", "NaN", "25.", ".5", "1.2.3", "0x10", "+5"]


@pytest.mark.parametrize("text", ["25", "25.00", "0.5", "1000", "-5"])
def test_plain_amounts_are_amounts(text):
    assert is_plain_amount(text)


@pytest.mark.parametrize("text", [*NOT_AMOUNTS, " 25 ", ""])
def test_other_spellings_are_not(text):
    assert not is_plain_amount(text)


@pytest.fixture
def campaign():
    zine = {"title": "Zine", "minimum": Decimal("5.00")}
    return factories.LiveCampaignFactory(goal=Decimal("1000.00"), rewards=[zine])


def _web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("text", NOT_AMOUNTS)
def test_the_checkout_refuses_what_the_api_refuses(campaign, user, text):
    page = _web(user).post(f"/campaigns/{campaign.slug}/pledge/", {"reward": "", "amount": text, "token": "t-1"})

    assert page.status_code == 400
    assert "Enter a number." in page.content.decode()
    assert not Pledge.objects.filter(campaign=campaign).exists()


@pytest.mark.parametrize("text", NOT_AMOUNTS)
def test_the_api_refuses_them_too(campaign, user, text):
    response = client_as(user).post("/api/pledges/", {"campaign": campaign.pk, "amount": text}, format="json")

    assert_error(response, 400, field="amount")
    assert not Pledge.objects.filter(campaign=campaign).exists()


@pytest.mark.parametrize("text", ["1_000", "\u0661\u0660\u0660", "1e3"])
def test_the_studio_refuses_them_as_goal_minimum_and_shipping(creator, text):
    client = _web(creator)
    deadline = (timezone.now() + timedelta(days=30)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
    draft = {"title": "Atlas", "currency": "EUR", "deadline": deadline, "funding_model": "all_or_nothing"}

    page = client.post("/studio/new/", {**draft, "goal": text})
    assert (page.status_code, "Enter a number." in page.content.decode()) == (400, True)
    assert not Campaign.objects.filter(creator=creator).exists()

    campaign = factories.DraftCampaignFactory(creator=creator)
    rule = {"ships": "on", "shipping-TOTAL_FORMS": "1", "shipping-INITIAL_FORMS": "0"}
    rule |= {"shipping-0-destination": "region:world", "shipping-0-price": text}
    for tier in ({"minimum": text}, {"minimum": "5", **rule}):
        page = client.post(f"/studio/{campaign.slug}/rewards/new/", {"title": "Zine", **tier})
        assert (page.status_code, "Enter a number." in page.content.decode()) == (400, True)
        assert not campaign.rewards.exists()
    response = client_as(creator).post(f"/api/campaigns/{campaign.pk}/rewards/", {"title": "Zine", "minimum": text})
    assert_error(response, 400, field="minimum")


def test_a_plain_amount_still_goes_through_the_checkout(campaign, user):
    page = _web(user).post(f"/campaigns/{campaign.slug}/pledge/", {"reward": "", "amount": " 25.00 ", "token": "t-2"})

    assert page.status_code == 302
    assert Pledge.objects.get(campaign=campaign).amount == Decimal("25.00")
