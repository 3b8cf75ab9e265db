"""Input an attacker or a confused client sends: always a clear 4xx, never a 500, nothing half-written."""

import json
from decimal import Decimal

import pytest

from campaigns.models import Campaign
from pledges.models import Pledge, WebhookEvent
from rewards.models import RewardTier
from tests import factories
from tests.api.helpers import assert_error, client_as
from tests.pledges.test_webhooks import sign

pytestmark = pytest.mark.django_db
WEBHOOK = "/api/webhooks/stripe/"


@pytest.mark.parametrize("path", ["/api/auth/register/", "/api/auth/token/", "/api/pledges/"])
def test_json_nested_a_thousand_deep_is_a_400(client, path):
    user = factories.UserFactory()
    body = "[" * 1000 + "]" * 1000

    response = client_as(user).post(path, body, content_type="application/json")

    assert_error(response, 400, code="parse_error")


@pytest.mark.parametrize("amount", ["1_000", "\u0661\u0660", " 25", "25 ", "1e3", "+25", "0x19", "NaN", "Infinity", ""])
def test_an_amount_is_ascii_digits_and_a_dot(amount):
    campaign = factories.live_campaign()
    body = {"campaign": campaign.pk, "amount": amount, "payment_method": "pm_card_visa"}

    response = client_as(factories.UserFactory()).post("/api/pledges/", body, format="json")

    assert_error(response, 400, code="invalid", field="amount")
    assert not Pledge.objects.exists()


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_json_numbers_that_are_not_finite_are_a_parse_error(literal):
    campaign = factories.live_campaign()
    body = f'{{"campaign": {campaign.pk}, "amount": {literal}}}'

    response = client_as(factories.UserFactory()).post("/api/pledges/", body, content_type="application/json")

    assert response.status_code == 400
    assert not Pledge.objects.exists()


def test_a_json_number_amount_is_read_exactly():
    campaign = factories.live_campaign()
    body = f'{{"campaign": {campaign.pk}, "amount": 25.10, "payment_method": "{factories.payment_method()}"}}'

    response = client_as(factories.UserFactory()).post("/api/pledges/", body, content_type="application/json")

    assert (response.status_code, response.json()["amount"]) == (201, "25.10")
    assert Pledge.objects.get().amount == Decimal("25.10")


@pytest.mark.parametrize("sneaky", ["\u202e", "\u2066", "\u200f", "\x07"])
def test_titles_refuse_invisible_direction_and_control_characters(sneaky):
    creator = factories.UserFactory()
    client = client_as(creator)
    campaign = factories.draft_campaign(creator=creator)
    title = f"Field Notebook {sneaky}kcab"

    created = client.post(
        "/api/campaigns/",
        {"title": title, "goal": "100.00", "currency": "USD", "deadline": "2030-01-01T00:00:00Z"},
        format="json",
    )
    renamed = client.patch(f"/api/campaigns/{campaign.pk}/", {"title": title}, format="json")
    tier = client.post(f"/api/campaigns/{campaign.pk}/rewards/", {"title": title, "minimum": "5.00"}, format="json")

    for response in (created, renamed, tier):
        assert_error(response, 400, code="invalid_title")
    assert Campaign.objects.count() == 1 and Campaign.objects.get().title == campaign.title
    assert not RewardTier.objects.exists()


def test_a_currency_that_contradicts_the_campaign_is_refused():
    campaign = factories.live_campaign(currency="EUR")
    client = client_as(factories.UserFactory())
    body = {"campaign": campaign.pk, "amount": "25.00", "payment_method": factories.payment_method()}

    wrong = client.post("/api/pledges/", {**body, "currency": "USD"}, format="json")
    right = client.post("/api/pledges/", {**body, "currency": "eur"}, format="json")

    error = assert_error(wrong, 400, code="currency_mismatch")
    assert error["detail"] == "This campaign takes pledges in EUR, not USD."
    assert (right.status_code, right.json()["currency"]) == (201, "EUR")


def _signed(client, payload: bytes):
    return client.post(WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload))


@pytest.mark.parametrize(
    "payload",
    [
        b'{"id": "evt_nul", "type": "charge.refunded", "data": {"object": {"id": "ch_\\u0000"}}}',
        json.dumps({"id": "evt_" + "x" * 300, "type": "charge.refunded", "data": {"object": {}}}).encode(),
        b'{"id": "evt_big", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_1", "amount": 1e999}}}',
        b'{"id": "evt_nan", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_1", "amount": NaN}}}',
        b'{"id": 7, "type": "payment_intent.succeeded"}',
        b"[" * 5000 + b"]" * 5000,
    ],
)
def test_correctly_signed_but_malformed_events_are_a_400_and_not_stored(client, payload):
    response = _signed(client, payload)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"id": "evt_nodata", "type": "payment_intent.succeeded"},
        {"id": "evt_strdata", "type": "setup_intent.succeeded", "data": "x"},
        {"id": "evt_noid", "type": "charge.refunded", "data": {"object": {"payment_intent": 5}}},
    ],
)
def test_well_formed_events_without_a_usable_object_are_stored_and_ignored(client, body):
    response = _signed(client, json.dumps(body).encode())

    assert response.status_code == 200
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.IGNORED


@pytest.mark.parametrize("method", ["options", "get", "put", "delete"])
def test_other_methods_on_the_webhook_are_answered_without_a_500(client, method):
    response = getattr(client, method)(WEBHOOK)

    assert response.status_code == (200 if method == "options" else 405)
