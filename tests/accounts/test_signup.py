"""Sign-up, web and API alike: no account (no token, no pledge) until the mailed link is opened;
an unconfirmed sign-up squats neither an address nor a username; the answer never tells whether
an address has an account; usernames are one spelling per name, without look-alikes."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiToken, PendingSignup, Profile
from accounts.services import signup_confirm, signup_request, signup_token
from core.errors import DomainError
from tests import factories
from tests.accounts.conftest import PASSWORD, link_in, mails_to
from tests.conftest import at_once

pytestmark = pytest.mark.django_db

User = get_user_model()


def _api_register(username: str, email: str, password: str = PASSWORD, **headers):
    return APIClient().post(
        "/api/auth/register/", {"username": username, "email": email, "password": password}, format="json", **headers
    )


def _web_register(username: str, email: str, password: str = PASSWORD):
    return Client().post("/register/", {"username": username, "email": email, "password": password})


# --- defect 3: the API sign-up skipped the verification -------------------------------------------


def test_an_api_sign_up_gets_no_token_and_no_account_until_its_link_is_opened(live_campaign):
    response = _api_register("maya", "maya@example.com")

    assert response.status_code == 202, response.content
    assert "token" not in response.json()
    assert not User.objects.filter(username="maya").exists()
    assert not ApiToken.objects.exists()
    token = APIClient().post("/api/auth/token/", {"username": "maya", "password": PASSWORD}, format="json")
    assert token.status_code == 400 and "token" not in token.json()

    (message,) = mail.outbox
    assert message.to == ["maya@example.com"]
    assert Client().get(link_in(message, "/verify/")).status_code == 302
    maya = User.objects.get(username="maya")
    issued = APIClient().post("/api/auth/token/", {"username": "maya", "password": PASSWORD}, format="json")
    assert issued.status_code == 200
    backer = APIClient()
    backer.credentials(HTTP_AUTHORIZATION=f"Token {issued.json()['token']}")
    pledged = backer.post(
        "/api/pledges/", {"campaign": live_campaign.pk, "amount": "5.00", "reward": None}, format="json"
    )
    assert pledged.status_code == 201, pledged.content
    assert pledged.json()["backer"] == maya.username


def test_an_unconfirmed_sign_up_with_someone_else_s_address_does_not_block_its_owner():
    squatter = _api_register("mallory", "ann@example.com")  # Mallory cannot read Ann's mail
    assert squatter.status_code == 202
    mallory_link = link_in(mails_to("ann@example.com")[0], "/verify/")
    mail.outbox.clear()

    ann = _web_register("ann", "ann@example.com")

    assert ann.status_code == 302 and ann["Location"] == "/register/done/"
    assert Client().get(link_in(mails_to("ann@example.com")[0], "/verify/")).status_code == 302
    assert User.objects.get(email="ann@example.com").username == "ann"
    # The address is Ann's now: Mallory's link (in Ann's inbox) opens nothing, even if clicked.
    assert Client().get(mallory_link).status_code == 400
    assert not User.objects.filter(username="mallory").exists()
    assert not PendingSignup.objects.filter(email__iexact="ann@example.com").exists()


def test_an_unconfirmed_sign_up_does_not_hold_its_username():
    assert _api_register("ann", "nobody-reads-this@example.com").status_code == 202
    squatted_link = link_in(mail.outbox[0], "/verify/")

    response = _api_register("ann", "ann@example.com")
    assert response.status_code == 202
    assert Client().get(link_in(mails_to("ann@example.com")[0], "/verify/")).status_code == 302

    assert User.objects.get(username="ann").email == "ann@example.com"
    late = Client().get(squatted_link)
    assert late.status_code == 400 and "took this username" in late.text
    assert User.objects.filter(username__iexact="ann").count() == 1


def test_a_username_a_confirmed_account_holds_is_refused_in_any_case_or_form():
    factories.UserFactory(username="strasse")

    for spelling in ("strasse", "STRASSE", "Straße", "\uff53\uff54\uff52\uff41\uff53\uff53\uff45"):
        response = _api_register(spelling, "new@example.com")
        assert response.status_code == 409, (spelling, response.content)
        assert response.json()["code"] == "username_taken"
    assert mail.outbox == [] and not PendingSignup.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_confirmations_for_one_address_at_once_give_it_to_one_account():
    for index in range(2):
        signup_request(username=f"twin{index}", email="twin@example.com", password=PASSWORD, client="198.51.100.1")
    tokens = [signup_token(pending=pending) for pending in PendingSignup.objects.order_by("pk")]

    def confirm(index: int):
        try:
            return signup_confirm(token=tokens[index]).username
        except DomainError as error:
            return error.code

    results = at_once(2, confirm)

    # The loser finds the address claimed, or its sign-up already dropped by the winner.
    (winner,) = set(results) & {"twin0", "twin1"}
    (loser,) = set(results) - {winner}
    assert loser in {"email_taken", "invalid_token"}
    assert User.objects.get(email__iexact="twin@example.com").username == winner
    assert User.objects.filter(email__iexact="twin@example.com").count() == 1


# --- defect 5: sign-up and reset must not tell whether an address has an account -------------------


def test_an_api_sign_up_answers_the_same_whether_or_not_the_address_has_an_account():
    factories.UserFactory(username="river", email="river@example.com")

    taken = _api_register("river2", "river@example.com")
    free = _api_register("lake", "lake@example.com")

    assert taken.status_code == free.status_code == 202
    assert set(taken.json()) == set(free.json()) == {"username", "email", "detail"}
    assert taken.json()["detail"].replace("river@", "lake@") == free.json()["detail"]
    assert taken.get("Retry-After") is None and free.get("Retry-After") is None
    # One e-mail each: a link to the new address, a note to the account that has the other.
    (note,) = mails_to("river@example.com")
    (link,) = mails_to("lake@example.com")
    assert "/verify/" not in note.body and "river" in note.body
    assert "/verify/" in link.body


def test_a_web_sign_up_answers_the_same_whether_or_not_the_address_has_an_account():
    factories.UserFactory(username="river", email="river@example.com")

    taken = _web_register("river2", "RIVER@example.com")
    free = _web_register("lake", "lake@example.com")

    assert (taken.status_code, taken["Location"]) == (free.status_code, free["Location"]) == (302, "/register/done/")
    assert len(mails_to("river@example.com")) == len(mails_to("lake@example.com")) == 1


def test_a_password_reset_answers_the_same_and_mails_once_either_way():
    factories.UserFactory(username="river", email="river@example.com")

    known = Client().post("/password-reset/", {"email": "river@example.com"})
    unknown = Client().post("/password-reset/", {"email": "nobody@example.com"})

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    (reset,) = mails_to("river@example.com")
    (note,) = mails_to("nobody@example.com")
    assert "/password-reset/" in reset.body
    assert "no account uses it" in note.body and "/password-reset/" not in note.body


# --- usernames: NFKC, one script, no look-alikes --------------------------------------------------


@pytest.mark.parametrize(
    "username",
    [
        "\u0430dmin",  # a Cyrillic a, then Latin letters
        "\u0441\u043e\u0440\u0435",  # all Cyrillic, reads as "cope"
        "\u13aadmin",  # a Cherokee letter that looks like A
        "user\u0663",  # an Arabic-Indic digit in a Latin name
        "ad\u200bmin",  # zero-width space
        "ad\u202emin",  # right-to-left override
        "x\u0301dmin",  # a combining accent that composes with nothing
        "x" * 151,
        "x" * 10_000,
        "has space",
        "tab\there",
        "",
    ],
    ids=[
        "cyrillic-a",
        "whole-script-cyrillic",
        "cherokee",
        "arabic-digit",
        "zero-width",
        "rlo",
        "combining",
        "151-chars",
        "10000-chars",
        "space",
        "tab",
        "empty",
    ],
)
def test_look_alike_and_broken_usernames_are_refused(username):
    response = _api_register(username, "new@example.com")

    assert response.status_code == 400, response.content
    assert "username" in response.json()["errors"]
    assert not PendingSignup.objects.exists() and mail.outbox == []


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("\uff44\uff41\uff56\uff45", "dave"),  # full-width
        ("\u0438\u0432\u0430\u043d", "\u0438\u0432\u0430\u043d"),  # Cyrillic that cannot pass for Latin
        ("J\u00fcrgen", "J\u00fcrgen"),
        ("Ju\u0308rgen", "J\u00fcrgen"),  # decomposed ü, composed by NFKC
        ("a\u0301dmin", "\u00e1dmin"),
        ("\u65e5\u672c\u8a9e", "\u65e5\u672c\u8a9e"),
        ("ann.lee+2@x", "ann.lee+2@x"),
    ],
)
def test_usernames_are_stored_nfkc_normalised(typed, stored):
    response = _api_register(typed, "new@example.com")
    assert response.status_code == 202, response.content

    Client().get(link_in(mail.outbox[0], "/verify/"))

    user = User.objects.get(email="new@example.com")
    assert user.username == stored
    assert Profile.objects.get(user=user).username_key == stored.casefold()


def test_the_username_key_is_unique_in_the_database_whatever_made_the_user():
    factories.UserFactory(username="Strasse")

    with pytest.raises(Exception) as raised:
        User.objects.create_user(username="STRAßE", email="x@example.com")
    assert "username_key" in str(raised.value)


# --- the link itself --------------------------------------------------------------------------------


def test_a_forged_or_mangled_link_opens_nothing():
    _api_register("maya", "maya@example.com")
    link = link_in(mail.outbox[0], "/verify/")

    for bad in (link[:-5] + "xxxx/", "/verify/not-a-token/", "/verify/" + "A" * 5000 + "/"):
        assert Client().get(bad).status_code == 400
    assert not User.objects.filter(username="maya").exists()


def test_asking_again_sends_the_waiting_link_and_says_the_same_for_an_address_with_none(fresh_mail_limits):
    _web_register("maya", "maya@example.com")
    mail.outbox.clear()

    waiting = Client().post("/verify/resend/", {"login": "maya@example.com"})
    nothing = Client().post("/verify/resend/", {"login": "nobody@example.com"})

    assert (waiting.status_code, waiting["Location"]) == (nothing.status_code, nothing["Location"]) == (302, "/login/")
    (again,) = mails_to("maya@example.com")
    assert Client().get(link_in(again, "/verify/")).status_code == 302
    (note,) = mails_to("nobody@example.com")
    assert "/verify/" not in note.body


def test_a_pledge_needs_a_confirmed_account_and_a_pending_one_cannot_log_in(live_campaign):
    _web_register("maya", "maya@example.com")
    client = Client()

    refused = client.post("/login/", {"username": "maya", "password": PASSWORD})
    assert refused.status_code == 400 and "Confirm your e-mail address first" in refused.text
    checkout = client.post(f"/campaigns/{live_campaign.slug}/pledge/", {"amount": "5.00", "reward": ""})
    assert checkout.status_code == 302 and checkout["Location"].startswith("/login/")
    assert live_campaign.pledges.count() == 0
    assert Decimal(live_campaign.pledged) == Decimal("0")
