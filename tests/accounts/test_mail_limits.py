"""Account e-mails (sign-up links and their resends, password resets) are limited per address
and per client, counted atomically in Redis; a limit says nothing about whether an account exists."""

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from accounts.services import signup_request, signup_resend
from core.errors import TooManyRequests
from tests import factories
from tests.accounts.conftest import PASSWORD, mails_to
from tests.conftest import at_once

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_mail_limits")]


def _reset(address: str, client_ip: str):
    return Client(REMOTE_ADDR=client_ip).post("/password-reset/", {"email": address})


def test_reset_mails_to_one_address_are_limited_whoever_asks(settings):
    settings.ACCOUNT_MAILS_PER_ADDRESS = 2
    factories.UserFactory(username="river", email="river@example.com")

    statuses = [_reset("river@example.com", f"198.51.100.{i}").status_code for i in range(3)]

    assert statuses == [302, 302, 429]
    assert len(mails_to("river@example.com")) == 2
    refused = _reset("river@example.com", "198.51.100.9")
    assert int(refused["Retry-After"]) > 0
    assert "Too many e-mails" in refused.text
    # Another address is not affected.
    assert _reset("lake@example.com", "198.51.100.1").status_code == 302


def test_reset_mails_from_one_client_are_limited_whatever_the_address(settings):
    settings.ACCOUNT_MAILS_PER_CLIENT = 3

    statuses = [_reset(f"person{i}@example.com", "203.0.113.5").status_code for i in range(4)]

    assert statuses == [302, 302, 302, 429]
    assert len(mail.outbox) == 3
    assert _reset("person9@example.com", "203.0.113.6").status_code == 302  # another client


def test_the_limit_is_the_same_for_an_address_with_an_account_and_one_without(settings):
    settings.ACCOUNT_MAILS_PER_ADDRESS = 1
    factories.UserFactory(username="river", email="river@example.com")

    known = [_reset("river@example.com", f"198.51.100.{i}").status_code for i in range(2)]
    unknown = [_reset("nobody@example.com", f"198.51.100.{i}").status_code for i in range(2)]

    assert known == unknown == [302, 429]


def test_api_sign_ups_to_one_address_are_limited_with_a_json_429(settings):
    settings.ACCOUNT_MAILS_PER_ADDRESS = 1

    def register(username: str, ip: str):
        body = {"username": username, "email": "maya@example.com", "password": PASSWORD}
        return APIClient(REMOTE_ADDR=ip).post("/api/auth/register/", body, format="json")

    first, second = register("maya", "198.51.100.1"), register("maya2", "198.51.100.2")

    assert first.status_code == 202
    assert second.status_code == 429
    assert second.json()["code"] == "too_many_mails" and int(second["Retry-After"]) > 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_resends_at_once_sends_exactly_the_limit(settings):
    settings.ACCOUNT_MAILS_PER_ADDRESS = 5
    signup_request(username="maya", email="maya@example.com", password=PASSWORD, client="198.51.100.1")
    mail.outbox.clear()

    def resend(index: int) -> str:
        try:
            signup_resend(login="maya@example.com", client=f"203.0.113.{index}")
        except TooManyRequests:
            return "limited"
        return "sent"

    results = at_once(20, resend)

    assert results.count("sent") == 4  # the sign-up itself was the first of the five
    assert results.count("limited") == 16
    assert len(mail.outbox) == 4
