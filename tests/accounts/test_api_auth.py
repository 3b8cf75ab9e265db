"""How users get in through the API: registration, tokens and the Authorization header."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tokens import token_hash
from campaigns.models import Campaign
from tests import factories
from tests.support.api import assert_error, client_as

pytestmark = pytest.mark.django_db

User = get_user_model()


# --- auth ------------------------------------------------------------------------------

PASSWORD = "correct horse battery staple"


@pytest.fixture
def anon(db) -> APIClient:
    """An anonymous client on which a server error is a 500 response, not an exception."""
    return client_as(None)


# A syntactically valid address longer than the 254 characters the user table holds.
LONG_EMAIL = "a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".example.com"


def _register(client: APIClient, username="amanda", password=PASSWORD, email="amanda@example.com"):
    return client.post(
        "/api/auth/register/", {"username": username, "email": email, "password": password}, format="json"
    )


def test_register_opens_the_account_only_through_the_mailed_link_then_the_token_works(anon):
    response = _register(anon)

    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["username"] == "amanda" and body["email"] == "amanda@example.com"
    assert "token" not in body
    assert not User.objects.filter(username="amanda").exists()
    refused = anon.post("/api/auth/token/", {"username": "amanda", "password": PASSWORD}, format="json")
    assert_error(refused, 400, code="invalid_credentials")

    (message,) = mail.outbox
    link = re.search(r"https?://[^/\s]+(/verify/\S+/)", message.body).group(1)
    assert Client().get(link).status_code == 302
    user = User.objects.get(username="amanda")
    assert (user.email, user.is_active, user.is_staff) == ("amanda@example.com", True, False)
    assert user.check_password(PASSWORD)

    issued = anon.post("/api/auth/token/", {"username": "amanda", "password": PASSWORD}, format="json")
    assert issued.status_code == 200, issued.json()
    token = issued.json()["token"]
    assert ApiToken.objects.get(user=user).key_hash == token_hash(token) != token  # only its hash is kept
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    created = client.post("/api/campaigns/", {"title": "Tour", "goal": "100.00", "currency": "EUR"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["creator"] == "amanda"
    assert client.get("/api/pledges/").json()["count"] == 0


@pytest.mark.parametrize("username", ["amanda", "AMANDA"])
def test_register_refuses_a_taken_username(anon, username):
    factories.UserFactory(username="amanda")

    response = _register(anon, username=username, email="other@example.com")

    assert_error(response, 409, code="username_taken")
    assert User.objects.filter(username__iexact="amanda").count() == 1
    assert not User.objects.filter(email="other@example.com").exists()
    assert not ApiToken.objects.filter(user__username__iexact="amanda").exists()


@pytest.mark.parametrize("password", ["123", "password"])
def test_register_refuses_a_weak_password(anon, password):
    response = _register(anon, password=password)

    assert_error(response, 400, code="invalid", field="password")
    assert not User.objects.filter(username="amanda").exists()
    assert not ApiToken.objects.filter(user__username="amanda").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "amanda", "password": PASSWORD}, "email"),
        ({"username": "amanda", "email": "not-an-email", "password": PASSWORD}, "email"),
        ({"username": "has space", "email": "a@example.com", "password": PASSWORD}, "username"),
        ({"username": ["amanda"], "email": "a@example.com", "password": PASSWORD}, "username"),
        ({"username": "amanda", "email": "a@example.com"}, "password"),
        ({"username": "amanda", "email": LONG_EMAIL, "password": PASSWORD}, "email"),
        ({"username": "x" * 151, "email": "a@example.com", "password": PASSWORD}, "username"),
        ({"username": "amanda", "email": "a@example.com", "password": "p" * 129}, "password"),
    ],
    ids=[
        "no-email",
        "bad-email",
        "space-in-username",
        "list-as-username",
        "no-password",
        "email-too-long-for-the-column",
        "username-too-long",
        "password-too-long",
    ],
)
def test_register_refuses_bad_fields(anon, body, field):
    response = anon.post("/api/auth/register/", body, format="json")

    assert_error(response, 400, code="invalid", field=field)
    assert not User.objects.filter(username__in=["amanda", "has space"]).exists()


def test_token_endpoint_gives_a_new_working_token_for_good_credentials(anon, user):
    response = anon.post("/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    again = anon.post("/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")

    assert response.status_code == again.status_code == 200, response.json()
    tokens = [response.json()["token"], again.json()["token"]]
    assert tokens[0] != tokens[1]
    assert set(ApiToken.objects.filter(user=user).values_list("key_hash", flat=True)) == set(map(token_hash, tokens))
    for token in tokens:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert client.get("/api/pledges/").status_code == 200


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "user-that-does-not-exist", "password": PASSWORD},
        {"username": "__USER__", "password": "wrong password"},
    ],
)
def test_token_endpoint_refuses_bad_credentials(anon, user, credentials):
    if credentials["username"] == "__USER__":
        credentials = {**credentials, "username": user.username}

    response = anon.post("/api/auth/token/", credentials, format="json")

    assert_error(response, 400, code="invalid_credentials")
    assert "token" not in response.json()
    assert not ApiToken.objects.filter(user=user).exists()


def test_token_endpoint_refuses_a_missing_password(anon, user):
    response = anon.post("/api/auth/token/", {"username": user.username}, format="json")

    assert_error(response, 400, code="invalid", field="password")


@pytest.mark.parametrize("header", ["Token not-a-real-token", "Token ", "Bearer abc", "Token a b"])
def test_a_bad_authorization_header_is_401_not_anonymous_access(anon, header):
    anon.credentials(HTTP_AUTHORIZATION=header)

    response = anon.get("/api/pledges/")

    assert_error(response, 401)
    title = "Sneaking in with a bad token"
    created = anon.post("/api/campaigns/", {"title": title, "goal": "1.00", "currency": "USD"}, format="json")
    assert_error(created, 401)
    assert not Campaign.objects.filter(title=title).exists()


def test_a_token_stops_working_when_it_expires(anon, user, settings):
    import time_machine
    from django.utils import timezone

    token = anon.post("/api/auth/token/", {"username": user.username, "password": PASSWORD}, format="json").json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")

    before = client.get("/api/pledges/")
    with time_machine.travel(timezone.now() + settings.API_TOKEN_TTL + timezone.timedelta(seconds=1)):
        after = client.get("/api/pledges/")

    assert before.status_code == 200
    assert (after.status_code, after.json()["detail"]) == (401, "Invalid or expired token.")
