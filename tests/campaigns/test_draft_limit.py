"""A creator keeps at most DRAFTS_PER_USER drafts (default 20, the environment wins): the next
is refused with 409 too_many_drafts by the API and a message in the studio; launched campaigns
do not count, and other creators are not held back."""

import os
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.models import Campaign
from tests import factories
from tests.conftest import at_once
from tests.support.api import assert_error, client_as
from tests.support.fresh_process import settings_in_a_fresh_process

pytestmark = pytest.mark.django_db
# A deadline within the longest campaign (CAMPAIGN_MAX_DURATION), as a draft's must be.
DRAFT = {
    "title": "Pocket Atlas",
    "goal": "500.00",
    "currency": "EUR",
    "deadline": (timezone.now() + timedelta(days=30)).isoformat(),
}


@pytest.fixture
def two_drafts(settings):
    settings.DRAFTS_PER_USER = 2


def test_the_api_refuses_a_draft_beyond_the_limit(two_drafts, creator):
    factories.LiveCampaignFactory(creator=creator)  # launched: not a draft
    api = client_as(creator)

    made = [api.post("/api/campaigns/", DRAFT, format="json").status_code for _ in range(2)]
    refused = api.post("/api/campaigns/", DRAFT, format="json")

    assert made == [201, 201]
    body = assert_error(refused, 409, code="too_many_drafts")
    assert body["detail"] == "You already have 2 drafts, as many as an account may keep. Launch one first."
    assert Campaign.objects.filter(creator=creator, state=Campaign.State.DRAFT).count() == 2
    assert client_as(factories.UserFactory()).post("/api/campaigns/", DRAFT, format="json").status_code == 201


def test_a_launched_draft_makes_room(two_drafts, creator):
    first = factories.DraftCampaignFactory(creator=creator)
    factories.RewardTierFactory(campaign=first)
    factories.DraftCampaignFactory(creator=creator)
    api = client_as(creator)
    assert_error(api.post("/api/campaigns/", DRAFT, format="json"), 409, code="too_many_drafts")

    assert api.post(f"/api/campaigns/{first.pk}/launch/").status_code == 200
    assert api.post("/api/campaigns/", DRAFT, format="json").status_code == 201


def test_the_studio_says_why_it_made_no_draft(two_drafts, creator):
    factories.DraftCampaignFactory(creator=creator)
    factories.DraftCampaignFactory(creator=creator)
    web = Client()
    web.force_login(creator)
    deadline = (timezone.now() + timedelta(days=30)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M")

    page = web.post(
        "/studio/new/",
        {"title": "Atlas", "goal": "500", "currency": "EUR", "deadline": deadline, "funding_model": "all_or_nothing"},
    )

    assert page.status_code == 400
    assert "You already have 2 drafts, as many as an account may keep. Launch one first." in page.content.decode()
    assert Campaign.objects.filter(creator=creator).count() == 2


@pytest.mark.django_db(transaction=True)
def test_requests_at_once_cannot_pass_the_limit_together(settings):
    from campaigns.services import campaign_create

    settings.DRAFTS_PER_USER = 3
    creator = factories.UserFactory()

    def make(_):
        try:
            campaign_create(creator=creator, title="Atlas", goal=Decimal("100"), currency="USD")
        except Exception as error:  # counted below
            return getattr(error, "code", repr(error))
        return "made"

    outcomes = at_once(6, make)

    assert sorted(outcomes) == ["made"] * 3 + ["too_many_drafts"] * 3
    assert Campaign.objects.filter(creator=creator).count() == 3


def test_the_limit_is_20_unless_the_environment_says_otherwise():
    env = {k: v for k, v in os.environ.items() if k != "DRAFTS_PER_USER"}

    def read(extra):
        return settings_in_a_fresh_process(["DRAFTS_PER_USER"], {**env, **extra})["DRAFTS_PER_USER"]

    assert (read({}), read({"DRAFTS_PER_USER": "3"})) == (20, 3)


def test_the_refusal_speaks_german_to_a_german_client(two_drafts, creator):
    factories.DraftCampaignFactory(creator=creator)
    factories.DraftCampaignFactory(creator=creator)

    refused = client_as(creator).post("/api/campaigns/", DRAFT, format="json", HTTP_ACCEPT_LANGUAGE="de")

    body = assert_error(refused, 409, code="too_many_drafts")
    assert body["detail"] == (
        "Sie haben bereits 2 Entwürfe, so viele, wie ein Konto haben darf. Starten Sie zuerst einen davon."
    )
