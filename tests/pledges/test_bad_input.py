"""Bad input to the pledge endpoints never gives a 500 and never leaves a half-written row.

Every refused request is checked three ways: the status, the JSON error body
({"detail", "code"} and, for 400 validation, "errors"), and the database, which
must hold exactly what it held before (pledges, tier stock, campaign totals).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from accounts.models import PaymentCustomer
from campaigns.models import Campaign
from closing.services import campaign_cancel
from pledges.models import Pledge
from rewards.models import RewardTier
from tests import factories
from tests.support.api import assert_error, client_as, money_snapshot

pytestmark = pytest.mark.django_db

HUGE_ID = 99999999999999999999  # beyond PostgreSQL's bigint


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


@pytest.fixture
def vinyl(campaign):
    return campaign.rewards.get(title="Signed vinyl")


def _pledge(user, body):
    return client_as(user).post("/api/pledges/", body, format="json")


# --- amounts ---------------------------------------------------------------------------

# Each bad amount with who refuses it: "field" is the serializer (not a decimal number it reads:
# code "invalid", the error under "amount"), "service" is pledge_create (a number, but no
# pledge's amount: not positive, finer than a cent, beyond one card payment; code "invalid_amount").
BAD_AMOUNTS = [
    ("-5.00", "service"),
    ("-0.01", "service"),
    ("0", "service"),
    ("0.00", "service"),
    ("-0", "service"),
    ("10.001", "service"),  # finer than a cent
    ("0.001", "service"),
    ("1e20", "field"),
    ("1E-3", "field"),
    ("999999999999999", "service"),
    ("99999999999.999", "service"),
    ("100000000000", "service"),
    ("abc", "field"),
    ("", "field"),
    (" ", "field"),
    ("1,000.00", "field"),
    ("$10", "field"),
    ("NaN", "field"),
    ("-NaN", "field"),
    ("sNaN", "field"),
    ("Infinity", "field"),
    ("-Infinity", "field"),
    ("inf", "field"),
    ([], "field"),
    ({}, "field"),
    (["10.00"], "field"),
    ({"value": "10.00"}, "field"),
    (True, "field"),
    (None, "field"),
    (10.001, "service"),
    (1e20, "field"),
    (-3, "service"),
]


@pytest.mark.parametrize(("amount", "refused_by"), BAD_AMOUNTS, ids=[repr(amount) for amount, _ in BAD_AMOUNTS])
def test_pledge_create_refuses_a_bad_amount(user, campaign, amount, refused_by):
    before = money_snapshot(campaign)

    response = _pledge(user, {"campaign": campaign.pk, "amount": amount})

    if refused_by == "field":
        assert_error(response, 400, code="invalid", field="amount")
    else:
        body = assert_error(response, 400, code="invalid_amount")
        assert "errors" not in body, body
    assert money_snapshot(campaign) == before


@pytest.mark.parametrize("amount", ["10.5", "0.1", "100.01"])
def test_pledge_create_refuses_decimals_a_zero_decimal_currency_does_not_have(user, creator, amount):
    yen = factories.LiveCampaignFactory(creator=creator, goal=Decimal("100000"), currency="JPY")
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
    big = factories.LiveCampaignFactory(creator=creator, goal=Decimal("1000.00"))
    factories.PledgeFactory(campaign=big, amount="999999.99")
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
    elsewhere = factories.LiveCampaignFactory(
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
        return factories.DraftCampaignFactory(creator=creator)
    campaign = factories.LiveCampaignFactory(creator=creator)
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
    pledge = factories.PledgeFactory(campaign=campaign, amount="30.00", reward=vinyl)
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
    factories.PledgeFactory(campaign=campaign, reward=vinyl, card=None)
    factories.PledgeFactory(campaign=campaign, reward=vinyl, card=None)
    latecomer = factories.UserFactory()
    before = money_snapshot(campaign)

    response = _pledge(latecomer, {"campaign": campaign.pk, "reward": vinyl.pk, "amount": "30.00"})

    assert_error(response, 409, code="sold_out")
    assert money_snapshot(campaign) == before
    assert RewardTier.objects.get(pk=vinyl.pk).claimed == 2


# --- the card ----------------------------------------------------------------------------


def test_card_declined_at_setup_is_402_and_keeps_nothing(user, campaign, vinyl):
    before = money_snapshot(campaign)
    declined = factories.payment_method(factories.CARD_DECLINES_AT_SETUP)

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

    body = assert_error(response, 400, code="invalid_payment_method")
    assert body["detail"].startswith("The payment method was not accepted"), body
    assert money_snapshot(campaign) == before
    assert not Pledge.objects.filter(backer=user).exists()


# --- changing a pledge ----------------------------------------------------------------------


@pytest.fixture
def pending(campaign, vinyl):
    """A pending pledge (no card yet) of 30.00 holding one unit of the limited tier."""
    return factories.PledgeFactory(campaign=campaign, amount="30.00", reward=vinyl, card=None)


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
    elsewhere = factories.LiveCampaignFactory(
        creator=creator, rewards=[{"title": "Poster", "minimum": Decimal("5.00")}]
    )
    before = money_snapshot(campaign, elsewhere)

    response = client_as(pending.backer).patch(
        f"/api/pledges/{pending.pk}/", {"reward": elsewhere.rewards.get().pk}, format="json"
    )

    assert_error(response, 400, code="unknown_reward")
    assert money_snapshot(campaign, elsewhere) == before


def test_pledge_patch_to_a_sold_out_tier_keeps_the_old_tier(creator):
    campaign = factories.LiveCampaignFactory(
        creator=creator,
        rewards=[
            {"title": "Vinyl", "minimum": Decimal("25.00"), "limit": 5},
            {"title": "Dinner", "minimum": Decimal("25.00"), "limit": 1},
        ],
    )
    vinyl, dinner = campaign.rewards.get(title="Vinyl"), campaign.rewards.get(title="Dinner")
    factories.PledgeFactory(campaign=campaign, reward=dinner, card=None)
    mine = factories.PledgeFactory(campaign=campaign, reward=vinyl, card=None)
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


# --- what an attacker or a confused client sends ---------------------------------------------


@pytest.mark.parametrize("amount", ["1_000", "\u0661\u0660", " 25", "25 ", "1e3", "+25", "0x19", "NaN", "Infinity", ""])
def test_an_amount_is_ascii_digits_and_a_dot(amount):
    campaign = factories.LiveCampaignFactory()
    body = {"campaign": campaign.pk, "amount": amount, "payment_method": "pm_card_visa"}

    response = client_as(factories.UserFactory()).post("/api/pledges/", body, format="json")

    assert_error(response, 400, code="invalid", field="amount")
    assert not Pledge.objects.exists()


def test_a_json_number_amount_is_read_exactly():
    campaign = factories.LiveCampaignFactory()
    body = f'{{"campaign": {campaign.pk}, "amount": 25.10, "payment_method": "{factories.payment_method()}"}}'

    response = client_as(factories.UserFactory()).post("/api/pledges/", body, content_type="application/json")

    assert (response.status_code, response.json()["amount"]) == (201, "25.10")
    assert Pledge.objects.get().amount == Decimal("25.10")


def test_a_currency_that_contradicts_the_campaign_is_refused():
    campaign = factories.LiveCampaignFactory(currency="EUR")
    client = client_as(factories.UserFactory())
    body = {"campaign": campaign.pk, "amount": "25.00", "payment_method": factories.payment_method()}

    wrong = client.post("/api/pledges/", {**body, "currency": "USD"}, format="json")
    right = client.post("/api/pledges/", {**body, "currency": "eur"}, format="json")

    error = assert_error(wrong, 400, code="currency_mismatch")
    assert error["detail"] == "This campaign takes pledges in EUR, not USD."
    assert (right.status_code, right.json()["currency"]) == (201, "EUR")
