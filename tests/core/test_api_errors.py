"""Requests the API as a whole refuses the same way: unknown ids in the URL, bad query
parameters and malformed bodies are a clear JSON 4xx on every endpoint, never a 500, and
change nothing."""

from decimal import Decimal

import pytest

from campaigns.models import Campaign
from pledges.models import Pledge
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


# --- hostile JSON -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/auth/register/", "/api/auth/token/", "/api/pledges/"])
def test_json_nested_a_thousand_deep_is_a_400(client, path):
    user = factories.UserFactory()
    body = "[" * 1000 + "]" * 1000

    response = client_as(user).post(path, body, content_type="application/json")

    assert_error(response, 400, code="parse_error")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_json_numbers_that_are_not_finite_are_a_parse_error(literal):
    campaign = factories.LiveCampaignFactory()
    body = f'{{"campaign": {campaign.pk}, "amount": {literal}}}'

    response = client_as(factories.UserFactory()).post("/api/pledges/", body, content_type="application/json")

    assert response.status_code == 400
    assert not Pledge.objects.exists()


# --- what Django answers before DRF -----------------------------------------------------------


def test_too_many_form_fields_are_a_json_400(user, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"f{n}=1" for n in range(11))

    response = client_as(user).post("/api/pledges/", body, content_type="application/x-www-form-urlencoded")

    assert_error(response, 400, code="too_many_fields")
    assert not Pledge.objects.exists()


def test_an_oversized_webhook_body_is_a_json_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    payload = b'{"id": "evt_big", "type": "charge.refunded", "pad": "' + b"x" * 2000 + b'"}'

    response = client_as(None).post("/api/webhooks/stripe/", payload, content_type="application/json")

    assert_error(response, 413, code="request_too_large")


def test_an_oversized_json_body_is_a_json_413_before_it_is_parsed(user, campaign, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = f'{{"campaign": {campaign.pk}, "amount": "30.00", "pad": "{"x" * 2000}"}}'

    response = client_as(user).post("/api/pledges/", body, content_type="application/json")

    assert_error(response, 413, code="request_too_large")
    assert not Pledge.objects.exists()


def test_a_disallowed_host_is_a_json_400():
    response = client_as(None).get("/api/campaigns/", HTTP_HOST="evil.example")

    assert_error(response, 400, code="bad_request")


@pytest.mark.urls("tests.support.api_error_urls")
@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/api/_plain/forbidden/", 403, "permission_denied"),
        ("get", "/api/_plain/crash/", 500, "server_error"),
        ("get", "/api/_plain/post-only/", 405, "method_not_allowed"),
        ("get", "/api/no/such/route/", 404, "not_found"),
    ],
)
def test_errors_of_plain_django_views_under_the_api_are_json(method, path, status, code):
    response = getattr(client_as(None), method)(path)

    body = assert_error(response, status, code=code)
    assert "<html" not in response.content.decode().lower(), body
    if status == 405:
        assert response["Allow"] == "POST"


@pytest.mark.urls("tests.support.api_error_urls")
def test_pages_outside_the_api_keep_their_html_errors():
    response = client_as(None).get("/_plain/forbidden/")

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
