"""A URL with several operations (core.api_routing.MethodRoutes) answers as one API class with
all of them did: each method reaches its own class, every answer carries the URL's Allow
header, OPTIONS and the methods the URL does not take are answered with DRF's words, and CSRF
is DRF's (a session must send its token, a token-authenticated client need not)."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts.tokens import token_issue
from tests import factories
from tests.support.api import assert_error, client_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(creator):
    return factories.LiveCampaignFactory(
        creator=creator, goal=Decimal("100.00"), rewards=[{"title": "Vinyl", "minimum": Decimal("10.00")}]
    )


def test_every_answer_carries_the_urls_allow_header(campaign, creator, user):
    reward = campaign.rewards.get()
    as_creator, as_user = client_as(creator), client_as(user)
    pledge = factories.PledgeFactory(campaign=campaign, backer=user, amount="20.00")
    answers = {
        "GET, POST, HEAD, OPTIONS": [
            as_user.get("/api/campaigns/"),
            as_user.post("/api/campaigns/", {"title": "Tour", "goal": "10.00", "currency": "EUR"}, format="json"),
            as_user.get("/api/pledges/"),
            as_user.get(f"/api/campaigns/{campaign.pk}/rewards/"),
            as_user.get(f"/api/campaigns/{campaign.pk}/updates/"),
        ],
        "GET, PATCH, HEAD, OPTIONS": [
            as_user.get(f"/api/campaigns/{campaign.pk}/"),
            as_user.patch(f"/api/campaigns/{campaign.pk}/", {"title": "Mine"}, format="json"),  # a 403
            as_user.get(f"/api/pledges/{pledge.pk}/"),
        ],
        "GET, PATCH, DELETE, HEAD, OPTIONS": [
            as_creator.get(f"/api/campaigns/{campaign.pk}/rewards/{reward.pk}/"),
            as_creator.patch(f"/api/campaigns/{campaign.pk}/rewards/{reward.pk}/", {"title": "LP"}, format="json"),
        ],
        "POST, DELETE, OPTIONS": [
            as_user.post(f"/api/campaigns/{campaign.pk}/remind/"),
            as_user.delete(f"/api/campaigns/{campaign.pk}/remind/"),
        ],
    }

    for allow, responses in answers.items():
        for response in responses:
            assert response.status_code in (200, 201, 403), (response.status_code, response.content[:300])
            assert response["Allow"] == allow, (response.wsgi_request.method, response.wsgi_request.path)


def test_a_method_the_url_does_not_take_is_a_405_with_the_error_body(user):
    response = client_as(user).put("/api/campaigns/", {}, format="json")

    assert_error(response, 405, code="method_not_allowed")
    assert response["Allow"] == "GET, POST, HEAD, OPTIONS"


def test_options_and_head_are_answered(campaign):
    options = APIClient().options("/api/campaigns/")
    head = APIClient().head(f"/api/campaigns/{campaign.pk}/")

    assert options.status_code == 200 and options["Allow"] == "GET, POST, HEAD, OPTIONS"
    assert options.json()["renders"] == ["application/json", "text/html"]
    assert head.status_code == 200 and head.content == b""


def test_a_token_needs_no_csrf_token_a_session_does(user):
    body = {"title": "Tour", "goal": "10.00", "currency": "EUR"}
    with_token = APIClient(enforce_csrf_checks=True)
    with_token.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user)}")
    with_session = APIClient(enforce_csrf_checks=True)
    with_session.force_login(user)

    created = with_token.post("/api/campaigns/", body, format="json")
    refused = with_session.post("/api/campaigns/", body, format="json")

    assert created.status_code == 201, created.content[:300]
    assert "CSRF" in assert_error(refused, 403)["detail"]
