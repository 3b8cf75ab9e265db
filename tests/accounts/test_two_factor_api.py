"""Two-factor sign-in through the API: the token endpoint asks for a code (``otp``) when the
account has one; staff without it get no token and their old tokens stop working; a creator
without it cannot launch (the launch service refuses, whoever calls it).

Marked ``mfa``: production's MFA_REQUIRED_FOR_STAFF and MFA_REQUIRED_FOR_CREATORS stay on.
"""

import time

import pytest
from rest_framework.test import APIClient

from accounts.mfa import mfa_enrolment_confirm, mfa_enrolment_start, mfa_recovery_codes_left
from accounts.tokens import token_issue
from campaigns.models import Campaign
from campaigns.services import campaign_launch
from core.errors import NotAllowed
from tests import factories
from tests.conftest import client_for
from tests.factories import totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.mfa]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def maya():
    return factories.UserFactory(username="maya", email="maya@example.com", password=PASSWORD)


def enrolled(user) -> tuple[bytes, list[str]]:
    device = mfa_enrolment_start(user=user)
    _device, codes = mfa_enrolment_confirm(user=user, code=totp_code(device.bin_key))
    return device.bin_key, codes


def token(body: dict, address: str = "203.0.113.50"):
    return APIClient().post("/api/auth/token/", body, format="json", REMOTE_ADDR=address)


def test_the_token_endpoint_needs_no_code_without_two_factor(maya):
    response = token({"username": "maya", "password": PASSWORD})

    assert response.status_code == 200
    assert set(response.json()) == {"token"}


def test_the_token_endpoint_asks_for_the_code_then_takes_it(maya):
    secret, _codes = enrolled(maya)

    without = token({"username": "maya", "password": PASSWORD})
    wrong = token({"username": "maya", "password": PASSWORD, "otp": "123456"})
    wrong_password = token({"username": "maya", "password": "nope", "otp": totp_code(secret, at=time.time() + 30)})
    right = token({"username": "Maya@Example.com", "password": PASSWORD, "otp": totp_code(secret, at=time.time() + 30)})

    assert (without.status_code, without.json()["code"]) == (401, "otp_required")
    assert without["WWW-Authenticate"]
    assert "token" not in without.json()
    assert (wrong.status_code, wrong.json()["code"]) == (400, "otp_invalid")
    assert (wrong_password.status_code, wrong_password.json()["code"]) == (400, "invalid_credentials")
    assert right.status_code == 200
    created = APIClient()
    created.credentials(HTTP_AUTHORIZATION=f"Token {right.json()['token']}")
    assert created.get("/api/pledges/").status_code == 200


def test_a_recovery_code_gets_one_token(maya):
    _secret, codes = enrolled(maya)

    first = token({"username": "maya", "password": PASSWORD, "otp": codes[0]})
    second = token({"username": "maya", "password": PASSWORD, "otp": codes[0]})

    assert first.status_code == 200
    assert (second.status_code, second.json()["code"]) == (400, "otp_invalid")
    assert mfa_recovery_codes_left(maya) == 9


@pytest.mark.parametrize("otp", ["9" * 33, "\u200b123456", "12345\x00", "[" * 32])
def test_odd_codes_are_refused_cleanly(maya, otp):
    enrolled(maya)

    response = token({"username": "maya", "password": PASSWORD, "otp": otp})

    assert response.status_code == 400
    assert response.json()["code"] in ("invalid", "otp_invalid")


def test_wrong_codes_count_in_the_login_limits(maya, settings):
    settings.LOGIN_LIMIT_ACCOUNT_CLIENT = "3/day"
    secret, _codes = enrolled(maya)
    guesses = [token({"username": "maya", "password": PASSWORD, "otp": f"{n:06d}"}).status_code for n in range(4)]
    owner = token(
        {"username": "maya", "password": PASSWORD, "otp": totp_code(secret, at=time.time() + 30)}, address="192.0.2.1"
    )

    assert guesses == [400, 400, 400, 429]
    assert owner.status_code == 200


def test_staff_without_two_factor_get_no_token_and_old_tokens_stop(db):
    ops = factories.StaffFactory(username="ops", password=PASSWORD)
    old = token_issue(user=ops)

    response = token({"username": "ops", "password": PASSWORD})
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    with_old = client.get("/api/pledges/")

    assert (response.status_code, response.json()["code"]) == (403, "mfa_enrolment_required")
    assert "/me/two-factor/setup/" in response.json()["detail"]
    assert (with_old.status_code, with_old.json()["code"]) == (401, "mfa_enrolment_required")

    secret, _codes = enrolled(ops)
    assert client.get("/api/pledges/").status_code == 200
    assert (
        token({"username": "ops", "password": PASSWORD, "otp": totp_code(secret, at=time.time() + 30)}).status_code
        == 200
    )


def test_a_creator_without_two_factor_cannot_launch_through_the_api_then_can(maya):
    draft = factories.DraftCampaignFactory(creator=maya)
    client = client_for(maya)

    refused = client.post(f"/api/campaigns/{draft.pk}/launch/")

    assert (refused.status_code, refused.json()["code"]) == (403, "mfa_required")
    assert "two-factor" in refused.json()["detail"] and "/me/two-factor/" in refused.json()["detail"]
    draft.refresh_from_db()
    assert draft.state == Campaign.State.DRAFT

    enrolled(maya)
    launched = client.post(f"/api/campaigns/{draft.pk}/launch/")

    assert (launched.status_code, launched.json()["state"]) == (200, "live")


def test_the_launch_service_itself_refuses_and_the_setting_turns_it_off(maya, settings):
    draft = factories.DraftCampaignFactory(creator=maya)

    with pytest.raises(NotAllowed) as refused:
        campaign_launch(campaign=draft)
    assert refused.value.code == "mfa_required"

    settings.MFA_REQUIRED_FOR_CREATORS = False
    assert campaign_launch(campaign=draft).state == Campaign.State.LIVE


def test_the_schema_documents_the_code_and_its_answers(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/auth/token/"]["post"]
    request = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]

    assert "otp" in schema["components"]["schemas"][request]["properties"]
    assert "otp" not in schema["components"]["schemas"][request].get("required", [])
    assert "otp_required" in operation["responses"]["401"]["description"]
    assert "otp_invalid" in operation["responses"]["400"]["description"]
    assert "mfa_enrolment_required" in operation["responses"]["403"]["description"]
