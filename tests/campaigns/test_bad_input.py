"""Bad input to the campaign endpoints (create, edit, launch) never gives a 500 and never
leaves a half-written row; a live campaign keeps what is fixed once live."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from campaigns.models import Campaign
from rewards.models import RewardTier
from tests import factories
from tests.support.api import assert_error, client_as, money_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(creator):
    return factories.LiveCampaignFactory(
        creator=creator,
        goal=Decimal("1000.00"),
        rewards=[
            {"title": "Signed vinyl", "minimum": Decimal("25.00"), "limit": 2},
            {"title": "Thank-you", "minimum": Decimal("1.00")},
        ],
    )


def _iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# --- POST /api/campaigns/ ------------------------------------------------------------------


def _campaign_body(**changes) -> dict:
    body = {
        "title": "The new RECORD",
        "description": "An album, an art book and a tour.",
        "goal": "100000.00",
        "currency": "USD",
        "deadline": _iso(timezone.now() + timedelta(days=30)),
        "funding_model": "all_or_nothing",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not ...}


# (field, value, code): code None means the serializer names the field in "errors".
CAMPAIGN_BAD_FIELDS = [
    ("title", None, None),
    ("title", "", None),
    ("title", "x" * 121, None),
    ("title", [], None),
    ("title", {"en": "Album"}, None),
    ("title", True, None),
    ("title", "Nul\x00byte", None),
    ("title", ..., None),
    ("description", None, None),
    ("description", [], None),
    ("description", {}, None),
    ("description", "Nul\x00byte", None),
    ("goal", None, None),
    ("goal", "abc", None),
    ("goal", [], None),
    ("goal", {}, None),
    ("goal", True, None),
    ("goal", "NaN", None),
    ("goal", "Infinity", None),
    ("goal", "1e20", None),
    ("goal", "999999999999999", "invalid_goal"),
    ("goal", ..., None),
    ("goal", "-100.00", "invalid_goal"),
    ("goal", "0", "invalid_goal"),
    ("goal", "10.001", "invalid_goal"),
    ("goal", "100000000000", "invalid_goal"),
    ("currency", None, None),
    ("currency", "", None),
    ("currency", "US", None),
    ("currency", "USDX", None),
    ("currency", [], None),
    ("currency", {}, None),
    ("currency", True, None),
    ("currency", ..., None),
    ("currency", "XXX", "invalid_currency"),
    ("currency", "US$", "invalid_currency"),
    ("currency", 123, "invalid_currency"),
    ("currency", "\x00\x00\x00", None),
    ("deadline", "tomorrow", None),
    ("deadline", "2030-13-45T00:00:00Z", None),
    ("deadline", 12345, None),
    ("deadline", [], None),
    ("deadline", {}, None),
    ("deadline", True, None),
    ("deadline", "9999-12-31T23:59:59-12:00", None),
    ("deadline", "0001-01-01T00:00:00+01:00", None),
    ("deadline", "2000-01-01T00:00:00Z", "invalid_deadline"),
    ("funding_model", "bogus", None),
    ("funding_model", None, None),
    ("funding_model", [], None),
    ("funding_model", 1, None),
    ("funding_model", "FLEXIBLE", None),
    ("category", "no-such-category", None),
    ("category", "\x00", None),  # PostgreSQL cannot compare with it: was a 500 (found by the fuzz tests)
    ("category", "art\ud800", None),
    ("category", ["art"], None),
]


@pytest.mark.parametrize(("field", "value", "code"), CAMPAIGN_BAD_FIELDS, ids=repr)
def test_campaign_create_refuses_a_bad_field(user, field, value, code):
    # Sent as JSON's \u escapes, so a lone surrogate reaches the server as on the wire.
    body = json.dumps(_campaign_body(**{field: value}))
    response = client_as(user).post("/api/campaigns/", body, content_type="application/json")

    if code is None:
        assert_error(response, 400, code="invalid", field=field)
    else:
        assert_error(response, 400, code=code)
    assert not Campaign.objects.filter(creator=user).exists()


@pytest.mark.parametrize(("currency", "goal"), [("JPY", "1000.5"), ("KRW", "0.1"), ("KWD", "10.0001")])
def test_campaign_create_refuses_a_goal_finer_than_its_currency(user, currency, goal):
    response = client_as(user).post("/api/campaigns/", _campaign_body(currency=currency, goal=goal), format="json")

    body = assert_error(response, 400)
    assert body["code"] == "invalid_goal" or "goal" in body.get("errors", {}), body
    assert not Campaign.objects.filter(creator=user).exists()


def test_campaign_create_accepts_a_body_that_is_just_right(user):
    """The baseline the bad-field cases vary from is itself accepted."""
    response = client_as(user).post("/api/campaigns/", _campaign_body(), format="json")

    assert response.status_code == 201, response.json()
    assert Campaign.objects.filter(creator=user, state=Campaign.State.DRAFT).count() == 1


# --- launch --------------------------------------------------------------------------------


def _draft_via_api(client, deadline) -> int:
    response = client.post(
        "/api/campaigns/", _campaign_body(deadline=_iso(deadline) if deadline else None), format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


@pytest.mark.parametrize(
    ("duration", "launches"),
    [
        (lambda low, high: low - timedelta(seconds=1), False),
        (lambda low, high: low, True),
        (lambda low, high: high, True),
        (lambda low, high: timedelta(minutes=5), False),
    ],
    ids=["just-too-soon", "shortest", "longest", "five-minutes"],
)
def test_campaign_launch_checks_the_deadline_window(creator, duration, launches):
    client = client_as(creator)
    low, high = settings.CAMPAIGN_MIN_DURATION, settings.CAMPAIGN_MAX_DURATION
    with time_machine.travel(timezone.now(), tick=False):
        campaign_id = _draft_via_api(client, timezone.now() + duration(low, high))
        response = client.post(f"/api/campaigns/{campaign_id}/launch/")

    campaign = Campaign.objects.get(pk=campaign_id)
    if launches:
        assert response.status_code == 200, response.json()
        assert campaign.state == Campaign.State.LIVE
    else:
        assert_error(response, 400, code="invalid_deadline")
        assert campaign.state == Campaign.State.DRAFT
        assert campaign.launched_at is None


@pytest.mark.parametrize("beyond", [timedelta(seconds=1), timedelta(days=3650)], ids=["just-too-far", "ten-years"])
def test_a_deadline_beyond_the_longest_campaign_is_refused_before_the_launch(creator, beyond):
    client = client_as(creator)
    with time_machine.travel(timezone.now(), tick=False):
        deadline = timezone.now() + settings.CAMPAIGN_MAX_DURATION + beyond
        response = client.post("/api/campaigns/", _campaign_body(deadline=_iso(deadline)), format="json")

    assert_error(response, 400, code="invalid_deadline")
    assert not Campaign.objects.exists()


def test_campaign_launch_needs_a_deadline(creator):
    client = client_as(creator)
    campaign_id = _draft_via_api(client, None)

    response = client.post(f"/api/campaigns/{campaign_id}/launch/")

    assert_error(response, 400, code="invalid_deadline")
    assert Campaign.objects.get(pk=campaign_id).state == Campaign.State.DRAFT


def test_launching_twice_is_409(creator):
    client = client_as(creator)
    campaign_id = _draft_via_api(client, timezone.now() + timedelta(days=30))
    assert client.post(f"/api/campaigns/{campaign_id}/launch/").status_code == 200
    launched_at = Campaign.objects.get(pk=campaign_id).launched_at

    response = client.post(f"/api/campaigns/{campaign_id}/launch/")

    assert_error(response, 409, code="not_draft")
    assert Campaign.objects.get(pk=campaign_id).launched_at == launched_at


def test_a_canceled_campaign_cannot_be_launched_canceled_or_edited(creator, campaign):
    client = client_as(creator)
    assert client.post(f"/api/campaigns/{campaign.pk}/cancel/").status_code == 200
    before = money_snapshot(campaign)

    assert_error(client.post(f"/api/campaigns/{campaign.pk}/launch/"), 409, code="not_draft")
    assert_error(client.post(f"/api/campaigns/{campaign.pk}/cancel/"), 409, code="campaign_closed")
    assert_error(client.patch(f"/api/campaigns/{campaign.pk}/", {"title": "Back?"}, format="json"), 409)
    assert money_snapshot(campaign) == before


# --- editing a live campaign ----------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"goal": "2000.00"},
        {"currency": "EUR"},
        {"deadline": "__LATER__"},
        {"funding_model": "flexible"},
        {"title": "Renamed", "goal": "1.00"},
        {"deadline": None},
    ],
    ids=repr,
)
def test_goal_currency_deadline_and_model_are_fixed_once_live(creator, campaign, change):
    change = {
        key: _iso(campaign.deadline + timedelta(days=1)) if value == "__LATER__" else value
        for key, value in change.items()
    }
    before = money_snapshot(campaign)

    response = client_as(creator).patch(f"/api/campaigns/{campaign.pk}/", change, format="json")

    assert_error(response, 409, code="campaign_fixed")
    assert money_snapshot(campaign) == before
    campaign.refresh_from_db()
    assert campaign.title == "The new RECORD, ART BOOK, and TOUR"


def test_the_words_of_a_live_campaign_may_change(creator, campaign):
    response = client_as(creator).patch(
        f"/api/campaigns/{campaign.pk}/", {"title": "New title", "description": "More words."}, format="json"
    )

    assert response.status_code == 200, response.json()
    campaign.refresh_from_db()
    assert (campaign.title, campaign.description, campaign.goal) == ("New title", "More words.", Decimal("1000.00"))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("goal", "abc"),
        ("goal", "-1"),
        ("goal", "0.001"),
        ("currency", "XXX"),
        ("deadline", "soon"),
        ("deadline", "2000-01-01T00:00:00Z"),
        ("funding_model", "bogus"),
        ("title", None),
        ("title", ""),
        ("category", "\x00"),
        ("category", "art\ud800"),
    ],
)
def test_patching_a_draft_with_bad_values_changes_nothing(creator, field, value):
    draft = factories.DraftCampaignFactory(creator=creator)
    before = money_snapshot(draft)

    body = json.dumps({field: value})  # \u escapes, as on the wire
    response = client_as(creator).patch(f"/api/campaigns/{draft.pk}/", body, content_type="application/json")

    assert_error(response, 400)
    assert money_snapshot(draft) == before


def test_a_draft_cannot_change_currency_while_it_has_rewards(creator):
    draft = factories.DraftCampaignFactory(creator=creator)
    client = client_as(creator)
    tier = {"title": "Art book", "description": "Signed.", "minimum": "50.00", "limit": 100, "shipping": "5.00"}
    assert client.post(f"/api/campaigns/{draft.pk}/rewards/", tier, format="json").status_code == 201
    before = money_snapshot(draft)

    response = client.patch(f"/api/campaigns/{draft.pk}/", {"currency": "JPY"}, format="json")

    assert_error(response, 409, code="currency_has_rewards")
    assert money_snapshot(draft) == before


# --- invisible characters -------------------------------------------------------------------


INVISIBLE = [
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u200f",  # right-to-left mark
    "\x07",
    "\t",
    "\n",
    "\u200b",  # zero-width space
    "\u200c",  # zero-width non-joiner
    "\u200d",  # zero-width joiner
    "\u2060",  # word joiner
    "\ufeff",  # byte order mark
    "\u2028",  # line separator
    "\u2029",  # paragraph separator
    "\u00ad",  # soft hyphen (a format character)
    "\ue000",  # private use
]


@pytest.mark.parametrize("sneaky", INVISIBLE, ids=repr)
def test_titles_refuse_invisible_direction_and_control_characters(sneaky):
    creator = factories.UserFactory()
    client = client_as(creator)
    campaign = factories.DraftCampaignFactory(creator=creator)
    title = f"Field Notebook {sneaky}kcab"

    created = client.post(
        "/api/campaigns/",
        {"title": title, "goal": "100.00", "currency": "USD", "deadline": "2030-01-01T00:00:00Z"},
        format="json",
    )
    renamed = client.patch(f"/api/campaigns/{campaign.pk}/", {"title": title}, format="json")
    tier = client.post(f"/api/campaigns/{campaign.pk}/rewards/", {"title": title, "minimum": "5.00"}, format="json")
    update = client.post(
        f"/api/campaigns/{campaign.pk}/updates/", {"title": title, "body": "News", "audience": "public"}, format="json"
    )

    for response in (created, renamed, tier, update):
        assert_error(response, 400, code="invalid_title")
    assert Campaign.objects.count() == 1 and Campaign.objects.get().title == campaign.title
    assert not RewardTier.objects.exists()
    assert not campaign.updates.exists()


@pytest.mark.parametrize("sneaky", ["\u200b", "\u2028", "\ufeff"], ids=repr)
def test_the_studio_refuses_them_in_titles_with_a_message(sneaky):
    from django.test import Client

    campaign = factories.DraftCampaignFactory(title="Field Notebook")
    web = Client()
    web.force_login(campaign.creator)

    page = web.post(f"/studio/{campaign.slug}/rewards/new/", {"title": f"Zi{sneaky}ne", "minimum": "5.00"})

    assert page.status_code == 400
    assert f"title contains an invisible or control character (U+{ord(sneaky):04X})." in page.content.decode()
    assert not RewardTier.objects.exists()
