"""The studio refuses what no launch or checkout could take when it is typed (issue 21): a tier
price below the currency's smallest card payment, an estimated delivery in the past, a deadline
beyond the longest campaign; in the web forms and the API alike. Deleting a tier asks first,
and a draft's preview shows its planned deadline, never "ended"."""

import re
from datetime import UTC, timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.models import Campaign
from rewards.models import RewardTier
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def maya():
    return factories.UserFactory(username="maya")


@pytest.fixture
def draft(maya):
    campaign = factories.DraftCampaignFactory(creator=maya, title="Field Notebook", goal=Decimal("100.00"))
    factories.RewardTierFactory(campaign=campaign, title="Sketchbook", minimum=Decimal("25.00"), limit=2)
    return campaign


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _errors(page) -> list[str]:
    return [unescape(e) for e in re.findall(r'<ul class="errorlist[^"]*"[^>]*>\s*<li>(.*?)</li>', page.text, re.S)]


def _local(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _campaign_data(**overrides) -> dict:
    data = {
        "title": "Pocket Atlas",
        "description": "Maps.",
        "goal": "500.00",
        "currency": "EUR",
        "deadline": _local(timezone.now() + timedelta(days=30)),
        "funding_model": "all_or_nothing",
    }
    return {**data, **overrides}


# --- refused when typed -------------------------------------------------------------------------


def test_a_tier_below_the_smallest_card_payment_is_refused_on_its_field(draft, maya):
    response = logged_in(maya).post(f"/studio/{draft.slug}/rewards/new/", {"title": "Sticker", "minimum": "0.30"})

    assert response.status_code == 400
    assert re.search(r'id="id_minimum_error".*card payments in USD start at 0.50', unescape(response.text), re.S) or (
        "minimum is too small: card payments in USD start at 0.50." in _errors(response)
    )
    assert list(draft.rewards.values_list("title", flat=True)) == ["Sketchbook"]


def test_an_estimated_delivery_in_the_past_is_refused(draft, maya):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()

    response = logged_in(maya).post(
        f"/studio/{draft.slug}/rewards/new/", {"title": "Print", "minimum": "10.00", "estimated_delivery": yesterday}
    )

    assert response.status_code == 400
    assert _errors(response) == ["The estimated delivery cannot be in the past."]
    assert draft.rewards.count() == 1


def test_a_deadline_beyond_the_longest_campaign_is_refused_when_typed(maya):
    too_far = timezone.now() + timedelta(days=61)

    response = logged_in(maya).post("/studio/new/", _campaign_data(deadline=_local(too_far)))

    assert response.status_code == 400
    assert _errors(response) == ["The deadline can be at most 60 days from now: a campaign runs at most that long."]
    assert not Campaign.objects.exists()


def test_the_api_refuses_the_same_on_create_and_update(draft, maya):
    api = client_for(maya)
    too_far = (timezone.now() + timedelta(days=61)).isoformat()

    created = api.post("/api/campaigns/", {**_campaign_data(deadline=too_far)}, format="json")
    updated = api.patch(f"/api/campaigns/{draft.pk}/", {"deadline": too_far}, format="json")
    cheap = api.post(f"/api/campaigns/{draft.pk}/rewards/", {"title": "Sticker", "minimum": "0.30"}, format="json")
    sketchbook = draft.rewards.get()
    late = api.patch(
        f"/api/campaigns/{draft.pk}/rewards/{sketchbook.pk}/",
        {"estimated_delivery": (timezone.localdate() - timedelta(days=1)).isoformat()},
        format="json",
    )

    assert [(r.status_code, r.json()["code"]) for r in (created, updated, cheap, late)] == [
        (400, "invalid_deadline"),
        (400, "invalid_deadline"),
        (400, "below_minimum_charge"),
        (400, "invalid_estimated_delivery"),
    ]
    assert Campaign.objects.count() == 1
    draft.refresh_from_db()
    sketchbook.refresh_from_db()
    assert (draft.deadline - timezone.now()) < timedelta(days=31)
    assert (draft.rewards.count(), sketchbook.estimated_delivery) == (1, None)


# --- deleting a tier asks first -----------------------------------------------------------------


def test_deleting_a_tier_asks_first_and_a_get_deletes_nothing(draft, maya):
    sketchbook = draft.rewards.get()
    client = logged_in(maya)
    dashboard = client.get(f"/studio/{draft.slug}/")
    assert f'href="/studio/{draft.slug}/rewards/{sketchbook.pk}/delete/"' in dashboard.text

    asked = client.get(f"/studio/{draft.slug}/rewards/{sketchbook.pk}/delete/")

    assert asked.status_code == 200
    assert "Delete the tier “Sketchbook”?" in unescape(asked.text)
    assert RewardTier.objects.filter(pk=sketchbook.pk).exists()
    deleted = client.post(f"/studio/{draft.slug}/rewards/{sketchbook.pk}/delete/")
    assert deleted["Location"] == f"/studio/{draft.slug}/"
    assert not RewardTier.objects.filter(pk=sketchbook.pk).exists()


# --- the draft's preview ------------------------------------------------------------------------


def test_a_drafts_preview_shows_the_planned_deadline_not_ended(draft, maya):
    page = logged_in(maya).get(f"/campaigns/{draft.slug}/")

    assert page.status_code == 200
    assert ">ended<" not in page.text and "ended <time" not in page.text
    assert "planned deadline" in page.text
    assert "from now; the campaign runs from its launch to this deadline" in page.text
