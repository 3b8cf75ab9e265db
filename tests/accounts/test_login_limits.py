"""Login limits (accounts/login_limits.py) on every door: the site's login page, the API's token
endpoint and the admin (whose login page sends people to the site's). Guessing slows down per
(account, client), per client and per account; nobody can lock an account for its owner.

The limits count in fixed windows aligned to the clock; the tests that count many attempts run
at a fixed time of day (time-machine, ticking), so no count straddles a window's edge.
"""

import re
from collections import Counter
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.signals import user_login_failed
from django.core import mail
from django.test import Client

from tests import factories
from tests.conftest import at_once

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
ATTACKER, OWNER = "198.51.100.66", "203.0.113.50"
NOON = datetime(2031, 3, 3, 12, 0, 10, tzinfo=UTC)  # 10 s into a minute, an hour, 12 h into a day


@pytest.fixture
def noon():
    with time_machine.travel(NOON, tick=True):
        yield


@pytest.fixture
def amanda():
    return factories.StaffFactory(username="amanda", email="amanda@example.com", password=PASSWORD)


def _api(login: str, password: str, address: str):
    return Client().post(
        "/api/auth/token/",
        {"username": login, "password": password},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def _web(login: str, password: str, address: str, client: Client | None = None):
    return (client or Client()).post("/login/", {"username": login, "password": password}, REMOTE_ADDR=address)


def _try(door: str, login: str, password: str, address: str) -> int:
    """An attempt at the site's login (302 in, 400 wrong, 429 refused) or the API's (200, 400, 429)."""
    return (_web if door == "web" else _api)(login, password, address).status_code


SIGNED_IN = {"web": 302, "api": 200}


# --- counting is atomic --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("door", ["web", "api"])
def test_thirty_wrong_passwords_at_once_from_one_client_have_only_the_limit_checked(door, amanda, settings, noon):
    settings.LOGIN_LIMIT_ACCOUNT_CLIENT = "5/day"
    checked = []

    def count(**kwargs):
        checked.append(1)

    user_login_failed.connect(count, weak=False)
    try:
        statuses = at_once(30, lambda n: _try(door, "amanda", f"guess {n}", ATTACKER))
    finally:
        user_login_failed.disconnect(count)

    assert Counter(statuses) == {400: 5, 429: 25}
    assert len(checked) == 5  # the password was checked five times, not thirty


# --- another client's failures ---------------------------------------------------------------------


@pytest.mark.parametrize("door", ["web", "api"])
def test_another_client_s_failures_never_block_the_owner(door, amanda, noon):
    guesses = [_try(door, "amanda", f"guess {n}", ATTACKER) for n in range(30)]
    assert Counter(guesses) == {400: 5, 429: 25}

    assert _try(door, "amanda", PASSWORD, OWNER) == SIGNED_IN[door]
    # The guesser stays slowed, right password or not: nothing is checked while it waits.
    assert _try(door, "amanda", PASSWORD, ATTACKER) == 429


def test_another_client_s_failures_never_block_the_owner_at_the_admin(amanda, noon):
    for n in range(30):
        _web("amanda", f"guess {n}", ATTACKER)
    owner = Client(REMOTE_ADDR=OWNER)

    to_login = owner.get("/admin/", follow=True)
    assert to_login.redirect_chain[-1][0] == "/login/?next=%2Fadmin%2F"
    signed_in = owner.post("/login/?next=/admin/", {"username": "amanda", "password": PASSWORD, "next": "/admin/"})

    assert (signed_in.status_code, signed_in["Location"]) == (302, "/admin/")
    assert owner.get("/admin/").status_code == 200


def test_the_admin_login_page_checks_no_password_and_leads_to_the_site_s(amanda):
    client = Client(REMOTE_ADDR=OWNER)

    posted = client.post("/admin/login/?next=/admin/pledges/", {"username": "amanda", "password": PASSWORD})

    assert (posted.status_code, posted["Location"]) == (303, "/login/?next=%2Fadmin%2Fpledges%2F")
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/login/?next=https://evil.example/").headers["Location"] == "/login/?next=%2Fadmin%2F"


@pytest.mark.parametrize("door", ["web", "api"])
def test_many_clients_guessing_one_account_slow_each_other_but_not_the_owner(door, amanda, settings, noon):
    settings.LOGIN_LIMIT_ACCOUNT = "10/day"
    botnet = [f"192.0.2.{n}" for n in range(1, 11)]

    first_guesses = [_try(door, "amanda", "guess", address) for address in botnet]
    second_guesses = [_try(door, "amanda", "guess again", address) for address in botnet]
    newcomer = _try(door, "amanda", "a first guess", "192.0.2.200")
    newcomer_again = _try(door, "amanda", "a second guess", "192.0.2.200")

    assert first_guesses == [400] * 10  # each client's first failure is heard (and counted)
    assert second_guesses == [429] * 10  # past 10 for the account: clients that failed here wait
    assert (newcomer, newcomer_again) == (400, 429)
    assert _try(door, "amanda", PASSWORD, OWNER) == SIGNED_IN[door]  # never refuses a client with no failures


# --- one account, one bucket -------------------------------------------------------------------


@pytest.mark.parametrize("door", ["web", "api"])
def test_username_and_e_mail_share_one_bucket_in_any_case(door, amanda, settings, noon):
    settings.LOGIN_LIMIT_ACCOUNT_CLIENT = "5/day"

    guesses = [_try(door, login, "wrong", ATTACKER) for login in ("amanda", "AMANDA", "Amanda@Example.com") * 2]

    assert guesses == [400] * 5 + [429]
    assert _try(door, "amanda@example.com", PASSWORD, ATTACKER) == 429


def test_unknown_logins_are_counted_by_their_normalised_text(db, settings, noon):
    settings.LOGIN_LIMIT_ACCOUNT_CLIENT = "3/day"

    guesses = [
        _try("api", login, "x", ATTACKER) for login in ("ghost", " GHOST", "\uff47\uff48\uff4f\uff53\uff54", "ghost")
    ]

    assert guesses == [400, 400, 400, 429]  # NFKC folds the full-width letters, case folding GHOST


# --- success, reset, change ---------------------------------------------------------------------


def test_a_success_clears_that_client_s_count(amanda, noon):
    statuses = [_try("api", "amanda", "wrong", ATTACKER) for _ in range(4)]
    statuses.append(_try("api", "amanda", PASSWORD, ATTACKER))
    statuses += [_try("api", "amanda", "wrong", ATTACKER) for _ in range(4)]
    statuses.append(_try("api", "amanda", PASSWORD, ATTACKER))

    assert statuses == [400] * 4 + [200] + [400] * 4 + [200]


def test_a_password_reset_clears_the_account_s_counters(amanda, settings, noon):
    settings.SITE_URL = "https://pledgeboard.example"
    for _ in range(20):
        _web("amanda", "wrong", OWNER)
    assert _web("amanda", PASSWORD, OWNER).status_code == 429
    client = Client(REMOTE_ADDR=OWNER)

    assert client.post("/password-reset/", {"email": "amanda@example.com"}).status_code == 302
    (message,) = mail.outbox
    path = re.search(r"https://pledgeboard\.example(/password-reset/\S+/)", message.body).group(1)
    form = client.get(path, follow=True)
    new = "a new long passphrase"
    assert client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}).status_code == 302

    assert _web("amanda", new, OWNER).status_code == 302


def test_a_password_change_clears_the_account_s_counters(amanda, noon):
    for _ in range(20):
        _api("amanda", "wrong", OWNER)
    assert _api("amanda", PASSWORD, OWNER).status_code == 429

    amanda.set_password("another long passphrase")
    amanda.save()

    assert _api("amanda", "another long passphrase", OWNER).status_code == 200


# --- growing waits and the client limit --------------------------------------------------------------


def test_waits_grow_with_the_failures_and_retry_after_says_how_long(amanda, settings):
    settings.LOGIN_LIMIT_ACCOUNT_CLIENT = "2/minute,3/hour"
    with time_machine.travel(NOON, tick=False) as clock:
        first = [_api("amanda", "wrong", ATTACKER).status_code for _ in range(2)]
        refused = _api("amanda", "wrong", ATTACKER)
        clock.move_to(NOON.replace(minute=1, second=5))
        after_a_minute = _api("amanda", "wrong", ATTACKER).status_code
        refused_longer = _api("amanda", PASSWORD, ATTACKER)

    assert first == [400, 400]
    assert (refused.status_code, refused["Retry-After"], refused.json()["code"]) == (429, "50", "too_many_attempts")
    assert "Wait 1 minute" in refused.json()["detail"]
    assert after_a_minute == 400
    assert (refused_longer.status_code, refused_longer["Retry-After"]) == (429, str(3600 - 65))
    assert "Wait 59 minutes" in refused_longer.json()["detail"]


def test_one_client_trying_many_accounts_meets_the_client_limit(amanda, settings, noon):
    settings.LOGIN_LIMIT_CLIENT = "3/day"

    guesses = [_try("api", f"nobody{n}", "x", ATTACKER) for n in range(3)]

    assert guesses == [400, 400, 400]
    assert _try("api", "amanda", PASSWORD, ATTACKER) == 429
    assert _try("api", "amanda", PASSWORD, OWNER) == 200


def test_correct_logins_do_not_use_up_the_client_s_budget(settings, noon):
    """Everyone behind one address (an office) shares the client limit: only failures count in it."""
    settings.LOGIN_LIMIT_CLIENT = "3/day"
    colleagues = [factories.UserFactory(username=f"colleague{n}", password=PASSWORD) for n in range(6)]

    assert [_try("web", user.username, PASSWORD, ATTACKER) for user in colleagues] == [302] * 6


# --- which client ----------------------------------------------------------------------------


def test_a_forged_x_forwarded_for_buys_no_new_attempts(amanda, settings, noon):
    settings.LOGIN_LIMIT_ACCOUNT_CLIENT = "3/day"

    def guess(n: int, forwarded: str) -> int:
        return (
            Client()
            .post(
                "/api/auth/token/",
                {"username": "amanda", "password": f"guess {n}"},
                content_type="application/json",
                REMOTE_ADDR=ATTACKER,
                HTTP_X_FORWARDED_FOR=forwarded,
            )
            .status_code
        )

    assert [guess(n, f"10.0.0.{n}") for n in range(5)] == [400, 400, 400, 429, 429]


def test_behind_trusted_proxies_the_client_is_the_address_the_proxy_saw(amanda, settings, noon):
    settings.LOGIN_LIMIT_ACCOUNT_CLIENT = "3/day"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = Client(REMOTE_ADDR="10.1.1.1")  # every request comes from the proxy's address

    guesses = [
        proxy.post(
            "/login/", {"username": "amanda", "password": "x"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, {ATTACKER}"
        ).status_code
        for n in range(4)  # a forged first entry changes nothing: the proxy appended the real one
    ]
    owner = proxy.post("/login/", {"username": "amanda", "password": PASSWORD}, HTTP_X_FORWARDED_FOR=OWNER)

    assert guesses == [400, 400, 400, 429]
    assert owner.status_code == 302


# --- Redis away -----------------------------------------------------------------------------------


def test_without_redis_sign_in_still_works(amanda, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there

    assert _try("api", "amanda", "wrong", OWNER) == 400
    assert _try("api", "amanda", PASSWORD, OWNER) == 200
