"""Two-factor sign-in on the site: setting it up under /me/two-factor/, the code step of logging
in (an app's code or a recovery code, used once), wrong codes under the login limits, turning it
off and making new recovery codes; staff made to set it up; creators refused at launch without it.

Marked ``mfa``: production's MFA_REQUIRED_FOR_STAFF and MFA_REQUIRED_FOR_CREATORS stay on.
"""

import re
import time
from base64 import b32decode
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.mfa import mfa_enabled, mfa_enrolment_confirm, mfa_enrolment_start, mfa_recovery_codes_left
from campaigns.models import Campaign
from tests import factories
from tests.factories import totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.mfa]
PASSWORD = "correct horse battery staple"
NOON = datetime(2031, 3, 3, 12, 0, 10, tzinfo=UTC)


@pytest.fixture
def maya():
    return factories.UserFactory(username="maya", email="maya@example.com", password=PASSWORD)


def enrolled(user) -> tuple[bytes, list[str]]:
    """Two-factor sign-in set up through the services, as the setup page does: (secret, recovery codes)."""
    device = mfa_enrolment_start(user=user)
    _device, codes = mfa_enrolment_confirm(user=user, code=totp_code(device.bin_key))
    return device.bin_key, codes


def next_code(secret: bytes) -> str:
    """The app's next code: the current one was spent by the set-up (a code works once)."""
    return totp_code(secret, at=time.time() + 30)


def password_step(client: Client, login: str = "maya", password: str = PASSWORD, next_url: str = ""):
    data = {"username": login, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/login/", data)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- setting it up -----------------------------------------------------------------------------


def test_setup_shows_the_qr_code_and_the_secret_confirms_with_a_code_then_shows_recovery_codes_once(maya):
    client = Client()
    client.force_login(maya)

    page = client.get("/me/two-factor/setup/")
    assert page.status_code == 200
    assert re.search(r'<img src="data:image/svg\+xml[^"]+" width="\d+" height="\d+" alt="QR code', page.text)
    secret_text = re.search(r'<code id="totp-secret" class="secret">([A-Z2-7 ]+)</code>', page.text).group(1)
    secret = b32decode(secret_text.replace(" ", ""))
    assert client.get("/me/two-factor/setup/").text.count(secret_text) == 1  # the same secret until confirmed

    wrong = client.post("/me/two-factor/setup/", {"code": "000000" if totp_code(secret) != "000000" else "111111"})
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.text
    assert not mfa_enabled(maya)

    done = client.post("/me/two-factor/setup/", {"code": totp_code(secret)})
    assert done.status_code == 200
    assert "no-store" in done["Cache-Control"]
    codes = re.findall(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4})</code></li>", done.text)
    assert len(codes) == len(set(codes)) == 10
    assert mfa_enabled(maya)
    assert client.session[DEVICE_ID_SESSION_KEY]  # this session gave the second factor

    settings_page = client.get("/me/two-factor/")
    assert "Two-factor sign-in is on." in settings_page.text
    assert "You have 10 recovery codes left." in settings_page.text
    assert not any(code in settings_page.text for code in codes)  # shown once only
    assert client.get("/me/two-factor/setup/")["Location"] == "/me/two-factor/"


def test_the_pages_need_a_signed_in_user(db):
    for path in ("/me/two-factor/", "/me/two-factor/setup/"):
        response = Client().get(path)
        assert (response.status_code, response["Location"]) == (302, f"/login/?next={path}")


# --- signing in ------------------------------------------------------------------------------


def test_sign_in_asks_for_a_code_after_the_password_and_logs_in_only_with_it(maya):
    secret, _codes = enrolled(maya)
    client = Client()

    step = password_step(client, next_url="/me/settings/")
    assert (step.status_code, step["Location"]) == (302, "/login/code/")
    assert not signed_in(client)
    assert client.get("/me/pledges/").status_code == 302  # not in yet
    page = client.get("/login/code/")
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.text

    wrong = client.post("/login/code/", {"code": "12345"})
    assert (wrong.status_code, signed_in(client)) == (400, False)
    right = client.post("/login/code/", {"code": next_code(secret)})

    assert (right.status_code, right["Location"]) == (302, "/me/settings/")
    assert signed_in(client)
    assert client.session[DEVICE_ID_SESSION_KEY].startswith("otp_totp.totpdevice/")
    assert client.get("/me/pledges/").status_code == 200
    assert client.get("/login/code/").status_code == 302  # the step is over


def test_a_code_works_once(maya):
    secret, _codes = enrolled(maya)
    code = next_code(secret)
    first, second = Client(), Client()
    password_step(first)
    password_step(second)

    assert first.post("/login/code/", {"code": code}).status_code == 302
    assert second.post("/login/code/", {"code": code}).status_code == 400
    assert not signed_in(second)


def test_a_recovery_code_signs_in_once_and_is_used_up(maya):
    _secret, codes = enrolled(maya)
    client = Client()
    password_step(client)

    response = client.post("/login/code/", {"code": codes[3].upper().replace("", " ").strip()}, follow=True)

    assert signed_in(client)
    assert "You used a recovery code; 9 are left." in response.text
    assert mfa_recovery_codes_left(maya) == 9
    again = Client()
    password_step(again)
    assert again.post("/login/code/", {"code": codes[3]}).status_code == 400
    assert not signed_in(again)


def test_the_code_step_ends_when_the_password_changes_or_time_runs_out(maya):
    secret, _codes = enrolled(maya)
    changed, slow = Client(), Client()
    password_step(changed)
    maya.set_password("a brand new passphrase")
    maya.save()

    assert changed.post("/login/code/", {"code": next_code(secret)})["Location"] == "/login/"
    assert not signed_in(changed)

    password_step(slow, password="a brand new passphrase")
    with time_machine.travel(time.time() + 11 * 60):
        assert slow.post("/login/code/", {"code": totp_code(secret, at=time.time() + 11 * 60 + 30)})["Location"] == (
            "/login/"
        )
    assert not signed_in(slow)


def test_wrong_codes_count_in_the_login_limits_for_that_client_only(maya, settings):
    settings.LOGIN_LIMIT_ACCOUNT_CLIENT = "3/day"
    secret, _codes = enrolled(maya)
    guesser = Client(REMOTE_ADDR="198.51.100.66")
    with time_machine.travel(NOON, tick=True):
        assert password_step(guesser).status_code == 302
        wrong = [guesser.post("/login/code/", {"code": f"{n:06d}"}).status_code for n in range(3)]
        refused = guesser.post("/login/code/", {"code": next_code(secret)})
        again = password_step(guesser)  # the password is refused too now, for this client
        owner = Client(REMOTE_ADDR="203.0.113.50")
        password_step(owner)
        owner_in = owner.post("/login/code/", {"code": next_code(secret)})

    assert wrong == [400, 400, 400]
    assert refused.status_code == 429 and "Too many failed attempts" in refused.text
    assert not signed_in(guesser)
    assert again.status_code == 429
    assert owner_in.status_code == 302 and signed_in(owner)


# --- turning it off, new recovery codes ----------------------------------------------------------


def test_turning_it_off_needs_the_password_and_a_code(maya):
    secret, _codes = enrolled(maya)
    client = Client()
    client.force_login(maya)

    no_password = client.post(
        "/me/two-factor/disable/", {"disable-password": "wrong", "disable-code": next_code(secret)}
    )
    no_code = client.post("/me/two-factor/disable/", {"disable-password": PASSWORD, "disable-code": "000000"})
    assert (no_password.status_code, no_code.status_code) == (400, 400)
    assert "That password is not right." in no_password.text
    assert mfa_enabled(maya)

    off = client.post("/me/two-factor/disable/", {"disable-password": PASSWORD, "disable-code": next_code(secret)})

    assert (off.status_code, off["Location"]) == (302, "/me/two-factor/")
    assert not mfa_enabled(maya)
    assert mfa_recovery_codes_left(maya) == 0
    assert password_step(Client()).status_code == 302 and password_step(Client())["Location"] != "/login/code/"


def test_new_recovery_codes_replace_the_old_ones(maya):
    _secret, old = enrolled(maya)
    client = Client()
    client.force_login(maya)

    wrong = client.post("/me/two-factor/recovery-codes/", {"renew-code": "nothing"})
    response = client.post("/me/two-factor/recovery-codes/", {"renew-code": old[0]})

    assert wrong.status_code == 400
    assert response.status_code == 200
    new = re.findall(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4})</code></li>", response.text)
    assert len(new) == 10 and not set(new) & {f"{c[:4]}-{c[4:]}" for c in old}
    for code, works in ((old[1], False), (new[0], True)):
        attempt = Client()
        password_step(attempt)
        assert attempt.post("/login/code/", {"code": code}).status_code == (302 if works else 400)


# --- staff -------------------------------------------------------------------------------------


def test_staff_without_two_factor_reach_nothing_but_its_setup(db):
    staff = factories.StaffFactory(username="ops", password=PASSWORD)
    client = Client()

    signed = password_step(client, login="ops", next_url="/admin/")
    assert (signed.status_code, signed["Location"]) == (302, "/admin/")
    for path in ("/admin/", "/admin/pledges/pledge/", "/me/pledges/", "/studio/"):
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, "/me/two-factor/setup/"), path
    api = client.get("/api/pledges/")
    assert (api.status_code, api.json()["code"]) == (403, "mfa_enrolment_required")

    page = client.get("/me/two-factor/setup/")
    assert "Staff accounts sign in with a second factor" in page.text
    secret = b32decode(re.search(r'id="totp-secret" class="secret">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", ""))
    assert client.post("/me/two-factor/setup/", {"code": totp_code(secret)}).status_code == 200

    assert mfa_enabled(staff)
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/pledges/").status_code == 200


def test_a_staff_session_that_skipped_the_code_is_logged_out(db):
    staff = factories.StaffFactory(username="ops", password=PASSWORD)
    factories.enrol_mfa(staff)
    client = Client()
    client.force_login(staff)  # a session begun before the device existed

    response = client.get("/admin/")
    api = Client()
    api.force_login(staff)
    api_response = api.get("/api/pledges/")

    assert (response.status_code, response["Location"]) == (302, "/login/?next=/admin/")
    assert not signed_in(client)
    assert (api_response.status_code, api_response.json()["code"]) == (401, "not_authenticated")
    assert not signed_in(api)


def test_staff_are_free_of_it_when_the_setting_is_off(db, settings):
    settings.MFA_REQUIRED_FOR_STAFF = False
    factories.StaffFactory(username="ops", password=PASSWORD)
    client = Client()
    password_step(client, login="ops")

    assert client.get("/admin/").status_code == 200


# --- creators --------------------------------------------------------------------------------


def test_a_creator_without_two_factor_is_refused_at_launch_with_a_link_then_launches_with_it(maya):
    draft = factories.DraftCampaignFactory(creator=maya, title="Field notes")
    client = Client()
    client.force_login(maya)

    refused = client.post(f"/studio/{draft.slug}/launch/")

    assert refused.status_code == 403
    assert "Turn on two-factor sign-in before you launch a campaign." in refused.text
    assert 'href="/me/two-factor/setup/"' in refused.text
    draft.refresh_from_db()
    assert draft.state == Campaign.State.DRAFT

    enrolled(maya)
    launched = client.post(f"/studio/{draft.slug}/launch/")

    assert launched.status_code == 302
    draft.refresh_from_db()
    assert draft.state == Campaign.State.LIVE
