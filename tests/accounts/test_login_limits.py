"""Password guessing is limited per account and per client on the API's token endpoint and
the admin's login page, as on the site's."""

import pytest
from django.test import Client

from tests import factories

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def _token(client, username, password, address):
    return client.post(
        "/api/auth/token/",
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def test_the_token_endpoint_stops_guesses_at_one_account_from_many_addresses(settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    factories.UserFactory(username="amanda")
    client = Client()

    guesses = [_token(client, "amanda", f"guess {n}", f"198.51.100.{n}").status_code for n in range(3)]
    right_but_blocked = _token(client, "amanda", PASSWORD, "198.51.100.99")

    assert guesses == [400, 400, 400]
    assert (right_but_blocked.status_code, right_but_blocked.json()["code"]) == (429, "too_many_attempts")
    assert right_but_blocked["Retry-After"] == str(settings.LOGIN_FAILURE_WINDOW)
    assert "token" not in right_but_blocked.json()


def test_the_token_endpoint_stops_one_address_trying_many_accounts(settings):
    settings.LOGIN_FAILURES_PER_CLIENT = 3
    factories.UserFactory(username="amanda")
    client = Client()

    guesses = [_token(client, f"nobody{n}", "x", "203.0.113.8").status_code for n in range(3)]
    blocked = _token(client, "amanda", PASSWORD, "203.0.113.8")
    elsewhere = _token(client, "amanda", PASSWORD, "203.0.113.9")

    assert guesses == [400, 400, 400]
    assert (blocked.status_code, elsewhere.status_code) == (429, 200)


def test_a_success_clears_the_account_s_count(settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    factories.UserFactory(username="amanda")
    client = Client()

    statuses = [_token(client, "amanda", "wrong", "198.51.100.1").status_code for _ in range(2)]
    statuses.append(_token(client, "amanda", PASSWORD, "198.51.100.1").status_code)
    statuses += [_token(client, "amanda", "wrong", "198.51.100.1").status_code for _ in range(2)]
    statuses.append(_token(client, "amanda", PASSWORD, "198.51.100.1").status_code)

    assert statuses == [400, 400, 200, 400, 400, 200]


def test_the_admin_login_is_limited_too(settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    factories.StaffFactory(username="ops", password=PASSWORD)
    client = Client()

    def login(password, address):
        return client.post(
            "/admin/login/?next=/admin/", {"username": "ops", "password": password}, REMOTE_ADDR=address
        ).status_code

    guesses = [login(f"guess {n}", f"198.51.100.{n}") for n in range(3)]
    blocked = login(PASSWORD, "198.51.100.50")

    assert guesses == [200, 200, 200]  # the admin shows its form again with an error
    assert blocked == 429
    assert client.get("/admin/").status_code == 302  # still not logged in
