"""Bad input never gives a 500 and never leaves a half-written row.

Every refused request is checked three ways: the status, the JSON error body
({"detail", "code"} and, for 400 validation, "errors"), and the database, which
must hold exactly what it held before (pledges, tier stock, campaign totals).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from accounts.models import PaymentCustomer
from campaigns.models import Campaign
from closing.services import campaign_cancel
from pledges.models import Pledge
from rewards.models import RewardTier
from tests import factories
from tests.api.helpers import assert_error, back, client_as, money_snapshot

pytestmark = pytest.mark.django_db

HUGE_ID = 99999999999999999999  # beyond PostgreSQL's bigint


@pytest.fixture
def campaign(creator):
    return factories.live_campaign(
        creator=creator,
        goal=Decimal("1000.00"),
        rewards=[
            {"title": "Signed vinyl", "minimum": Decimal("25.00"), "limit": 2},
            {"title": "Thank-you", "minimum": Decimal("1.00")},
        ],
    )


@pytest.fixture
def vinyl(campaign):
    return campaign.rewards.get(title="Signed vinyl")


def _pledge(user, body):
    return client_as(user).post("/api/pledges/", body, format="json")


def _iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# --- amounts ---------------------------------------------------------------------------

BAD_AMOUNTS = [
    "-5.00",
    "-0.01",
    "0",
    "0.00",
    "-0",
    "10.001",  # finer than a cent
    "0.001",
    "1e20",
    "1E-3",
    "999999999999999",
    "99999999999.999",
    "100000000000",
    "abc",
    "",
    " ",
    "1,000.00",
    "$10",
    "NaN",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    [],
    {},
    ["10.00"],
    {"value": "10.00"},
    True,
    None,
    10.001,
    1e20,
    -3,
]


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
def test_pledge_create_refuses_a_bad_amount(user, campaign, amount):
    before = money_snapshot(campaign)

    response = _pledge(user, {"campaign": campaign.pk, "amount": amount})

    body = assert_error(response, 400)
    assert "amount" in body.get("errors", {}) or body["code"] == "invalid_amount", body
    assert money_snapshot(campaign) == before


@pytest.mark.parametrize("amount", ["10.5", "0.1", "100.01"])
def test_pledge_create_refuses_decimals_a_zero_decimal_currency_does_not_have(user, creator, amount):
    yen = factories.live_campaign(creator=creator, goal=Decimal("100000"), currency="JPY")
    before = money_snapshot(yen)

    response = _pledge(user, {"campaign": yen.pk, "amount": amount})

    assert_error(response, 400, code="invalid_amount")
    assert "JPY" in response.json()["detail"]
    assert money_snapshot(yen) == before


def test_pledge_create_refuses_an_amount_below_the_tier_minimum(user, campaign, vinyl):
    before = money_snapshot(campaign)

    response = _pledge(user, {"campaign": campaign.pk, "reward": vinyl.pk, "amount": "24.99"})

    assert_error(response, 400, code="below_minimum")
    assert "25.00 USD" in response.json()["detail"]
    assert money_snapshot(campaign) == before


def test_a_pledge_above_one_card_payment_is_refused_and_maximal_pledges_add_up_exactly(user, creator):
    """Stripe charges at most 99,999,999 minor units at once; the totals hold any number of such pledges."""
    big = factories.live_campaign(creator=creator, goal=Decimal("1000.00"))
    back(big, amount="999999.99", card=factories.CARD_OK)
    before = money_snapshot(big)

    too_big = _pledge(user, {"campaign": big.pk, "amount": "1000000.00", "payment_method": factories.payment_method()})

    assert_error(too_big, 400, code="invalid_amount")
    assert "999999.99 USD" in too_big.json()["detail"]
    assert money_snapshot(big) == before
    maximal = _pledge(user, {"campaign": big.pk, "amount": "999999.99", "payment_method": factories.payment_method()})
    assert maximal.status_code == 201
    big.refresh_from_db()
    assert big.pledged == Decimal("1999999.98")


# --- missing and mistyped fields of POST /api/pledges/ ---------------------------------


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"campaign", "amount"}),
        ({"amount": "30.00"}, {"campaign"}),
        ({"campaign": "__CAMPAIGN__"}, {"amount"}),
    ],
)
def test_pledge_create_names_every_missing_field(user, campaign, body, fields):
    body = {key: campaign.pk if value == "__CAMPAIGN__" else value for key, value in body.items()}
    before = money_snapshot(campaign)

    response = _pledge(user, body)

    errors = assert_error(response, 400, code="invalid")["errors"]
    assert set(errors) == fields
    assert money_snapshot(campaign) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("campaign", "abc"),
        ("campaign", None),
        ("campaign", 0),
        ("campaign", -1),
        ("campaign", 1.5),
        ("campaign", []),
        ("campaign", {"id": 1}),
        ("reward", "abc"),
        ("reward", 0),
        ("reward", -3),
        ("reward", [1]),
        ("payment_method", "card_123"),
        ("payment_method", "pm_"),
        ("payment_method", "pm_" + "a" * 300),
        ("payment_method", "pm_abc; DROP TABLE"),
        ("payment_method", 42),
        ("payment_method", ["pm_abc"]),
        ("payment_method", None),
    ],
)
def test_pledge_create_refuses_a_mistyped_field(user, campaign, field, value):
    before = money_snapshot(campaign)
    body = {"campaign": campaign.pk, "amount": "30.00", field: value}

    response = _pledge(user, body)

    assert_error(response, 400, code="invalid", field=field)
    assert money_snapshot(campaign) == before


@pytest.mark.parametrize("campaign_id", [987654321, HUGE_ID])
def test_pledge_create_refuses_an_unknown_campaign(user, campaign, campaign_id):
    before = money_snapshot(campaign)

    response = _pledge(user, {"campaign": campaign_id, "amount": "30.00"})

    assert_error(response, 400, code="unknown_campaign")
    assert money_snapshot(campaign) == before
    assert not Pledge.objects.filter(backer=user).exists()


@pytest.mark.parametrize("reward_id", [987654321, HUGE_ID])
def test_pledge_create_refuses_an_unknown_reward(user, campaign, reward_id):
    before = money_snapshot(campaign)

    response = _pledge(user, {"campaign": campaign.pk, "reward": reward_id, "amount": "30.00"})

    assert_error(response, 400, code="unknown_reward")
    assert money_snapshot(campaign) == before


def test_pledge_create_refuses_a_reward_of_another_campaign(user, creator, campaign):
    elsewhere = factories.live_campaign(
        creator=creator, rewards=[{"title": "Poster", "minimum": Decimal("5.00"), "limit": 1}]
    )
    poster = elsewhere.rewards.get()
    before = money_snapshot(campaign, elsewhere)

    response = _pledge(user, {"campaign": campaign.pk, "reward": poster.pk, "amount": "30.00"})

    assert_error(response, 400, code="unknown_reward")
    assert money_snapshot(campaign, elsewhere) == before


# --- campaigns that do not take pledges -------------------------------------------------


def _closed(kind: str, creator) -> Campaign:
    if kind == "draft":
        return factories.draft_campaign(creator=creator)
    campaign = factories.live_campaign(creator=creator)
    if kind == "canceled":
        campaign_cancel(campaign=campaign)
    return campaign


@pytest.mark.parametrize("kind", ["draft", "canceled", "past_deadline"])
def test_pledge_create_refuses_a_campaign_that_is_not_taking_pledges(user, creator, kind):
    campaign = _closed(kind, creator)
    before = money_snapshot(campaign)

    body = {"campaign": campaign.pk, "amount": "30.00"}
    if kind == "past_deadline":
        with time_machine.travel(campaign.deadline + timedelta(seconds=1)):
            response = _pledge(user, body)
    else:
        response = _pledge(user, body)

    assert_error(response, 409, code="campaign_closed")
    assert money_snapshot(campaign) == before
    assert not PaymentCustomer.objects.filter(user=user).exists()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "/api/pledges/{id}/", {"amount": "40.00"}),
        ("patch", "/api/pledges/{id}/", {"reward": None}),
        ("post", "/api/pledges/{id}/cancel/", None),
    ],
)
def test_a_pledge_cannot_change_after_the_deadline(campaign, vinyl, method, path, body):
    pledge = back(campaign, amount="30.00", reward=vinyl, card=factories.CARD_OK)
    before = money_snapshot(campaign)

    with time_machine.travel(campaign.deadline + timedelta(seconds=1)):
        response = getattr(client_as(pledge.backer), method)(path.format(id=pledge.pk), body, format="json")

    assert_error(response, 409, code="campaign_closed")
    assert money_snapshot(campaign) == before


def test_duplicate_pledge_by_the_same_backer_is_409(user, campaign):
    first = _pledge(user, {"campaign": campaign.pk, "amount": "30.00", "payment_method": factories.payment_method()})
    assert first.status_code == 201, first.json()
    before = money_snapshot(campaign)

    second = _pledge(user, {"campaign": campaign.pk, "amount": "50.00", "payment_method": factories.payment_method()})

    assert_error(second, 409, code="duplicate_pledge")
    assert money_snapshot(campaign) == before
    assert Pledge.objects.filter(backer=user, campaign=campaign).count() == 1


def test_pledge_create_refuses_a_sold_out_tier(campaign, vinyl):
    back(campaign, reward=vinyl)
    back(campaign, reward=vinyl)
    latecomer = factories.UserFactory()
    before = money_snapshot(campaign)

    response = _pledge(latecomer, {"campaign": campaign.pk, "reward": vinyl.pk, "amount": "30.00"})

    assert_error(response, 409, code="sold_out")
    assert money_snapshot(campaign) == before
    assert RewardTier.objects.get(pk=vinyl.pk).claimed == 2


# --- the card ----------------------------------------------------------------------------


def test_card_declined_at_setup_is_402_and_keeps_nothing(user, campaign, vinyl):
    before = money_snapshot(campaign)
    declined = factories.payment_method(factories.CARD_DECLINED_AT_SETUP)

    response = _pledge(
        user, {"campaign": campaign.pk, "reward": vinyl.pk, "amount": "30.00", "payment_method": declined}
    )

    body = assert_error(response, 402, code="card_declined")
    assert "declined" in body["detail"].lower()
    assert money_snapshot(campaign) == before
    assert RewardTier.objects.get(pk=vinyl.pk).claimed == 0
    assert not Pledge.objects.filter(backer=user).exists()


def test_an_unknown_payment_method_is_refused_without_a_500(user, campaign, vinyl):
    """A well-formed id the provider has never heard of is the client's mistake, not a crash."""
    before = money_snapshot(campaign)

    response = _pledge(
        user,
        {"campaign": campaign.pk, "reward": vinyl.pk, "amount": "30.00", "payment_method": "pm_doesnotexist123"},
    )

    assert response.status_code in (400, 402), (response.status_code, response.content[:300])
    assert_error(response, response.status_code)
    assert money_snapshot(campaign) == before
    assert not Pledge.objects.filter(backer=user).exists()


# --- changing a pledge ----------------------------------------------------------------------


@pytest.fixture
def pending(campaign, vinyl):
    """A pending pledge (no card yet) of 30.00 holding one unit of the limited tier."""
    return back(campaign, amount="30.00", reward=vinyl)


@pytest.mark.parametrize(
    ("body", "field_or_code"),
    [
        ({"amount": "-1"}, "invalid_amount"),
        ({"amount": "0"}, "invalid_amount"),
        ({"amount": "10.001"}, "invalid_amount"),
        ({"amount": "24.99"}, "below_minimum"),
        ({"amount": "1e20"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": None}, "amount"),
        ({"amount": []}, "amount"),
        ({"reward": "abc"}, "reward"),
        ({"reward": 0}, "reward"),
        ({"reward": HUGE_ID}, "unknown_reward"),
        ({"reward": 987654321}, "unknown_reward"),
    ],
    ids=repr,
)
def test_pledge_patch_refuses_bad_input_and_changes_nothing(campaign, pending, body, field_or_code):
    before = money_snapshot(campaign)

    response = client_as(pending.backer).patch(f"/api/pledges/{pending.pk}/", body, format="json")

    if field_or_code in ("amount", "reward"):
        assert_error(response, 400, code="invalid", field=field_or_code)
    else:  # refused by the service: a domain code, no per-field errors
        assert_error(response, 400, code=field_or_code)
    assert money_snapshot(campaign) == before


def test_pledge_patch_refuses_a_reward_of_another_campaign(creator, campaign, pending):
    elsewhere = factories.live_campaign(creator=creator, rewards=[{"title": "Poster", "minimum": Decimal("5.00")}])
    before = money_snapshot(campaign, elsewhere)

    response = client_as(pending.backer).patch(
        f"/api/pledges/{pending.pk}/", {"reward": elsewhere.rewards.get().pk}, format="json"
    )

    assert_error(response, 400, code="unknown_reward")
    assert money_snapshot(campaign, elsewhere) == before


def test_pledge_patch_to_a_sold_out_tier_keeps_the_old_tier(creator):
    campaign = factories.live_campaign(
        creator=creator,
        rewards=[
            {"title": "Vinyl", "minimum": Decimal("25.00"), "limit": 5},
            {"title": "Dinner", "minimum": Decimal("25.00"), "limit": 1},
        ],
    )
    vinyl, dinner = campaign.rewards.get(title="Vinyl"), campaign.rewards.get(title="Dinner")
    back(campaign, reward=dinner)
    mine = back(campaign, reward=vinyl)
    before = money_snapshot(campaign)

    response = client_as(mine.backer).patch(f"/api/pledges/{mine.pk}/", {"reward": dinner.pk}, format="json")

    assert_error(response, 409, code="sold_out")
    assert money_snapshot(campaign) == before


def test_a_canceled_pledge_cannot_be_canceled_or_changed_again(campaign, pending):
    client = client_as(pending.backer)
    assert client.post(f"/api/pledges/{pending.pk}/cancel/").status_code == 200
    before = money_snapshot(campaign)

    again = client.post(f"/api/pledges/{pending.pk}/cancel/")
    changed = client.patch(f"/api/pledges/{pending.pk}/", {"amount": "50.00"}, format="json")

    assert_error(again, 409, code="pledge_closed")
    assert_error(changed, 409, code="pledge_closed")
    assert money_snapshot(campaign) == before


def test_confirming_a_pledge_whose_card_was_never_entered_is_409(campaign, pending):
    before = money_snapshot(campaign)

    response = client_as(pending.backer).post(f"/api/pledges/{pending.pk}/confirm/")

    assert_error(response, 409, code="not_confirmed")
    assert money_snapshot(campaign) == before


# --- unknown ids in the URL -------------------------------------------------------------


@pytest.mark.parametrize("missing", [987654321, HUGE_ID])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/campaigns/{missing}/"),
        ("patch", "/api/campaigns/{missing}/"),
        ("post", "/api/campaigns/{missing}/launch/"),
        ("post", "/api/campaigns/{missing}/cancel/"),
        ("get", "/api/campaigns/{missing}/rewards/"),
        ("post", "/api/campaigns/{missing}/rewards/"),
        ("get", "/api/campaigns/{campaign}/rewards/{missing}/"),
        ("patch", "/api/campaigns/{campaign}/rewards/{missing}/"),
        ("delete", "/api/campaigns/{campaign}/rewards/{missing}/"),
        ("get", "/api/pledges/{missing}/"),
        ("patch", "/api/pledges/{missing}/"),
        ("post", "/api/pledges/{missing}/cancel/"),
        ("post", "/api/pledges/{missing}/confirm/"),
    ],
)
def test_unknown_ids_are_404(creator, campaign, method, path, missing):
    before = money_snapshot(campaign)
    url = path.format(missing=missing, campaign=campaign.pk)
    body = {"title": "x", "minimum": "1.00"} if method != "get" else None

    response = getattr(client_as(creator), method)(url, body, format="json")

    assert_error(response, 404, code="not_found")
    assert money_snapshot(campaign) == before


def test_a_reward_addressed_through_another_campaign_is_404(creator, campaign, vinyl):
    elsewhere = factories.live_campaign(creator=creator)
    before = money_snapshot(campaign, elsewhere)
    url = f"/api/campaigns/{elsewhere.pk}/rewards/{vinyl.pk}/"

    assert_error(client_as(creator).get(url), 404)
    assert_error(client_as(creator).patch(url, {"limit": 1000}, format="json"), 404)
    assert_error(client_as(creator).delete(url), 404)
    assert money_snapshot(campaign, elsewhere) == before


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/api/campaigns/", {"search": "\x00"}, 400),
        ("/api/campaigns/", {"search": "a" * 5000}, 200),
        ("/api/campaigns/", {"state": "bogus"}, 400),
        ("/api/campaigns/", {"funding_model": "\x00"}, 400),
        ("/api/campaigns/", {"page": "abc"}, 404),
        ("/api/campaigns/", {"page": "999"}, 404),
        ("/api/pledges/", {"campaign": "abc"}, 400),
        ("/api/pledges/", {"campaign": str(HUGE_ID)}, 400),
        ("/api/pledges/", {"state": "bogus"}, 400),
    ],
    ids=repr,
)
def test_bad_query_parameters_are_client_errors(user, campaign, path, params, status):
    response = client_as(user).get(path, params)

    if status == 200:
        assert response.status_code == 200
        assert "results" in response.json()
    else:
        assert_error(response, status)


# --- malformed bodies ---------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["{not json", '{"amount": "30.00"', "", "[]", '"a string"', "null", "\x00"], ids=repr)
@pytest.mark.parametrize("path", ["/api/campaigns/", "/api/pledges/", "/api/auth/register/"])
def test_malformed_json_body_is_400(user, campaign, path, raw):
    before = money_snapshot(campaign)
    campaigns_before = Campaign.objects.filter(creator=user).count()

    response = client_as(user).post(path, data=raw, content_type="application/json")

    body = assert_error(response, 400)
    if raw.startswith("{"):
        assert body["code"] == "parse_error"
    assert money_snapshot(campaign) == before
    assert Campaign.objects.filter(creator=user).count() == campaigns_before


def test_malformed_json_in_a_patch_is_400_and_changes_nothing(creator, campaign, vinyl):
    client = client_as(creator)

    for url in (f"/api/campaigns/{campaign.pk}/", f"/api/campaigns/{campaign.pk}/rewards/{vinyl.pk}/"):
        assert_error(client.patch(url, data="{not json", content_type="application/json"), 400, code="parse_error")

    campaign.refresh_from_db()
    vinyl.refresh_from_db()
    assert (campaign.title, vinyl.title, vinyl.limit) == ("The new RECORD, ART BOOK, and TOUR", "Signed vinyl", 2)


def test_an_unsupported_content_type_is_415(user, campaign):
    before = money_snapshot(campaign)

    response = client_as(user).post("/api/pledges/", data="campaign=1", content_type="text/plain")

    assert_error(response, 415)
    assert money_snapshot(campaign) == before


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
]


@pytest.mark.parametrize(("field", "value", "code"), CAMPAIGN_BAD_FIELDS, ids=repr)
def test_campaign_create_refuses_a_bad_field(user, field, value, code):
    response = client_as(user).post("/api/campaigns/", _campaign_body(**{field: value}), format="json")

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


# --- POST /api/campaigns/{id}/rewards/ -----------------------------------------------------


def _reward_body(**changes) -> dict:
    body = {
        "title": "Art book",
        "description": "Signed.",
        "minimum": "50.00",
        "limit": 100,
        "estimated_delivery": "2030-06-01",
        "shipping": "5.00",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not ...}


REWARD_BAD_FIELDS = [
    ("title", None, None),
    ("title", "", None),
    ("title", "x" * 121, None),
    ("title", [], None),
    ("title", "Nul\x00byte", None),
    ("title", ..., None),
    ("description", None, None),
    ("description", ["x"], None),
    ("minimum", None, None),
    ("minimum", "abc", None),
    ("minimum", [], None),
    ("minimum", {}, None),
    ("minimum", "NaN", None),
    ("minimum", "1e20", None),
    ("minimum", ..., None),
    ("minimum", "-1.00", "invalid_minimum"),
    ("minimum", "0", "invalid_minimum"),
    ("minimum", "10.001", "invalid_minimum"),
    ("limit", "abc", None),
    ("limit", 0, None),
    ("limit", -1, None),
    ("limit", 1.5, None),
    ("limit", "1.5", None),
    ("limit", 10_000_001, None),
    ("limit", 2**70, None),
    ("limit", [], None),
    ("limit", {}, None),
    ("limit", True, None),
    ("estimated_delivery", "soon", None),
    ("estimated_delivery", "2030-02-30", None),
    ("estimated_delivery", 20300601, None),
    ("estimated_delivery", [], None),
    ("estimated_delivery", "2030-06-01T00:00:00Z", None),
    ("shipping", None, None),
    ("shipping", "abc", None),
    ("shipping", "-1.00", None),
    ("shipping", "Infinity", None),
    ("shipping", [], None),
    ("shipping", "0.001", "invalid_shipping"),
]


@pytest.mark.parametrize(("field", "value", "code"), REWARD_BAD_FIELDS, ids=repr)
def test_reward_create_refuses_a_bad_field(creator, campaign, field, value, code):
    before = money_snapshot(campaign)

    response = client_as(creator).post(
        f"/api/campaigns/{campaign.pk}/rewards/", _reward_body(**{field: value}), format="json"
    )

    if code is None:
        assert_error(response, 400, code="invalid", field=field)
    else:
        assert_error(response, 400, code=code)
    assert money_snapshot(campaign) == before


def test_reward_create_refuses_a_minimum_finer_than_a_yen(creator):
    yen = factories.draft_campaign(creator=creator, goal=Decimal("100000"), currency="JPY")

    response = client_as(creator).post(f"/api/campaigns/{yen.pk}/rewards/", _reward_body(minimum="10.5"), format="json")

    assert_error(response, 400, code="invalid_minimum")
    assert not yen.rewards.exists()


def test_reward_create_accepts_a_body_that_is_just_right(creator, campaign):
    response = client_as(creator).post(f"/api/campaigns/{campaign.pk}/rewards/", _reward_body(), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["remaining"] == 100
    assert campaign.rewards.count() == 3


def test_reward_create_refuses_a_closed_campaign(creator, campaign):
    campaign_cancel(campaign=campaign)

    response = client_as(creator).post(f"/api/campaigns/{campaign.pk}/rewards/", _reward_body(), format="json")

    assert_error(response, 409, code="campaign_closed")
    assert campaign.rewards.count() == 2


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
        (lambda low, high: high + timedelta(seconds=1), False),
        (lambda low, high: timedelta(minutes=5), False),
        (lambda low, high: timedelta(days=3650), False),
    ],
    ids=["just-too-soon", "shortest", "longest", "just-too-far", "five-minutes", "ten-years"],
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
    ],
)
def test_patching_a_draft_with_bad_values_changes_nothing(creator, field, value):
    draft = factories.draft_campaign(creator=creator)
    before = money_snapshot(draft)

    response = client_as(creator).patch(f"/api/campaigns/{draft.pk}/", {field: value}, format="json")

    assert_error(response, 400)
    assert money_snapshot(draft) == before


def test_a_draft_cannot_change_currency_while_it_has_rewards(creator):
    draft = factories.draft_campaign(creator=creator)
    client = client_as(creator)
    assert client.post(f"/api/campaigns/{draft.pk}/rewards/", _reward_body(), format="json").status_code == 201
    before = money_snapshot(draft)

    response = client.patch(f"/api/campaigns/{draft.pk}/", {"currency": "JPY"}, format="json")

    assert_error(response, 409, code="currency_has_rewards")
    assert money_snapshot(draft) == before


# --- tier limits and deletion --------------------------------------------------------------


def test_a_tier_limit_cannot_go_below_what_is_claimed(creator, campaign, vinyl):
    back(campaign, reward=vinyl)
    back(campaign, reward=vinyl)
    before = money_snapshot(campaign)

    response = client_as(creator).patch(
        f"/api/campaigns/{campaign.pk}/rewards/{vinyl.pk}/", {"limit": 1}, format="json"
    )

    assert_error(response, 409, code="limit_below_claimed")
    assert money_snapshot(campaign) == before


def test_a_live_tier_limit_cannot_be_lowered_even_above_what_is_claimed(creator, campaign, vinyl):
    client = client_as(creator)
    url = f"/api/campaigns/{campaign.pk}/rewards/{vinyl.pk}/"
    assert client.patch(url, {"limit": 10}, format="json").status_code == 200
    back(campaign, reward=vinyl)
    before = money_snapshot(campaign)

    response = client.patch(url, {"limit": 5}, format="json")

    assert_error(response, 409, code="limit_lowered")
    assert money_snapshot(campaign) == before


def test_a_tier_limit_can_be_raised_once_live(creator, campaign, vinyl):
    back(campaign, reward=vinyl)
    back(campaign, reward=vinyl)

    response = client_as(creator).patch(
        f"/api/campaigns/{campaign.pk}/rewards/{vinyl.pk}/", {"limit": 5}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["limit"], response.json()["claimed"], response.json()["remaining"]) == (5, 2, 3)
    vinyl.refresh_from_db()
    assert (vinyl.limit, vinyl.claimed) == (5, 2)


@pytest.mark.parametrize("change", [{"minimum": "20.00"}, {"shipping": "3.00"}, {"limit": 10}], ids=repr)
def test_a_live_tier_keeps_its_price_shipping_and_unlimited_stock(creator, campaign, change):
    thanks = campaign.rewards.get(title="Thank-you")  # unlimited, 1.00, no shipping
    before = money_snapshot(campaign)

    response = client_as(creator).patch(f"/api/campaigns/{campaign.pk}/rewards/{thanks.pk}/", change, format="json")

    assert_error(response, 409, code="reward_fixed")
    assert money_snapshot(campaign) == before


def test_a_tier_a_backer_holds_cannot_be_deleted(creator, campaign, vinyl):
    back(campaign, reward=vinyl)
    before = money_snapshot(campaign)

    response = client_as(creator).delete(f"/api/campaigns/{campaign.pk}/rewards/{vinyl.pk}/")

    assert_error(response, 409, code="reward_in_use")
    assert money_snapshot(campaign) == before


def test_a_tier_once_held_by_a_canceled_pledge_cannot_be_deleted_either(creator, campaign, vinyl):
    """The pledge row still points at the tier (history); a 409, not a ProtectedError 500."""
    pledge = back(campaign, reward=vinyl)
    assert client_as(pledge.backer).post(f"/api/pledges/{pledge.pk}/cancel/").status_code == 200
    before = money_snapshot(campaign)

    response = client_as(creator).delete(f"/api/campaigns/{campaign.pk}/rewards/{vinyl.pk}/")

    assert_error(response, 409, code="reward_in_use")
    assert money_snapshot(campaign) == before


@pytest.mark.parametrize(
    "change",
    [{"limit": 0}, {"limit": "abc"}, {"minimum": "abc"}, {"shipping": "-1"}, {"title": None}, {"limit": 2**70}],
    ids=repr,
)
def test_reward_patch_refuses_bad_values(creator, campaign, vinyl, change):
    before = money_snapshot(campaign)

    response = client_as(creator).patch(f"/api/campaigns/{campaign.pk}/rewards/{vinyl.pk}/", change, format="json")

    assert_error(response, 400, code="invalid", field=next(iter(change)))
    assert money_snapshot(campaign) == before
