"""Account settings: a display name others see, an e-mail address that changes only once the new
one is confirmed (the old one told), German pages; unsubscribe links that expire."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import Profile, Unsubscription
from core.unsubscribe import unsubscribe_url
from tests import factories
from tests.accounts.conftest import PASSWORD, link_in, mails_to

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def river():
    return factories.UserFactory(username="river", email="river@example.com", password=PASSWORD)


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- display name ---------------------------------------------------------------------------------


def test_a_display_name_names_the_creator_on_the_campaign_pages(river):
    campaign = factories.LiveCampaignFactory(creator=river, title="Pocket Atlas")
    client = _logged_in(river)

    saved = client.post("/me/account/profile/", {"display_name": "  River   Song "})

    assert saved.status_code == 302
    assert Profile.objects.get(user=river).display_name == "River Song"
    stranger = Client()
    assert re.search(
        r'by <a href="/u/river/">River Song</a>', stranger.get(f"/campaigns/{campaign.slug}/?fresh=1").text
    )
    assert "by River Song" in stranger.get("/?fresh=1").text
    # Emptied: the username again.
    client.post("/me/account/profile/", {"display_name": ""})
    assert 'by <a href="/u/river/">river</a>' in stranger.get(f"/campaigns/{campaign.slug}/?again=1").text
    # A line separator is a space like any other.
    client.post("/me/account/profile/", {"display_name": "River\u2028Song"})
    assert Profile.objects.get(user=river).display_name == "River Song"


@pytest.mark.parametrize(
    "name", ["Ri\u200bver", "River\u202eSong", "River\u200dSong", "River\ue000", "River\x00", "x" * 51], ids=repr
)
def test_a_display_name_with_invisible_characters_or_too_long_is_refused(river, name):
    response = _logged_in(river).post("/me/account/profile/", {"display_name": name})

    assert response.status_code == 400
    assert Profile.objects.get(user=river).display_name == ""


# --- e-mail change --------------------------------------------------------------------------------


def test_a_new_address_takes_effect_only_once_confirmed_and_the_old_one_is_told(river, fresh_mail_limits):
    client = _logged_in(river)

    asked = client.post("/me/account/email/", {"email": "river.song@example.com", "password": PASSWORD})

    assert asked.status_code == 302
    river.refresh_from_db()
    assert river.email == "river@example.com"
    (link_mail,) = mails_to("river.song@example.com")
    (notice,) = mails_to("river@example.com")
    assert "river.song@example.com" in notice.body and "/me/account/email/" not in notice.body

    confirmed = Client().get(link_in(link_mail, "/me/account/email/"))  # any browser, signed in or not

    assert confirmed.status_code == 302
    river.refresh_from_db()
    assert river.email == "river.song@example.com"
    assert Client().post("/login/", {"username": "river.song@example.com", "password": PASSWORD}).status_code == 302
    assert Client().get(link_in(link_mail, "/me/account/email/")).status_code == 400  # used: the old address changed


def test_a_wrong_password_or_the_same_address_changes_nothing(river, fresh_mail_limits):
    client = _logged_in(river)

    wrong = client.post("/me/account/email/", {"email": "new@example.com", "password": "not it"})
    same = client.post("/me/account/email/", {"email": "RIVER@example.com", "password": PASSWORD})

    assert wrong.status_code == same.status_code == 400
    assert mail.outbox == []


def test_a_password_change_stops_a_change_of_address_not_yet_confirmed(river, fresh_mail_limits):
    client = _logged_in(river)
    client.post("/me/account/email/", {"email": "thief@example.com", "password": PASSWORD})
    link = link_in(mails_to("thief@example.com")[0], "/me/account/email/")

    river.set_password("a brand new passphrase")
    river.save()

    assert Client().get(link).status_code == 400
    river.refresh_from_db()
    assert river.email == "river@example.com"


def test_an_address_of_another_account_gets_a_note_not_a_link_and_the_answer_is_the_same(river, fresh_mail_limits):
    factories.UserFactory(username="lake", email="lake@example.com")
    client = _logged_in(river)

    taken = client.post("/me/account/email/", {"email": "lake@example.com", "password": PASSWORD})
    free = client.post("/me/account/email/", {"email": "sea@example.com", "password": PASSWORD})

    assert (taken.status_code, taken["Location"]) == (free.status_code, free["Location"])
    (note,) = mails_to("lake@example.com")
    assert "/me/account/email/" not in note.body and "already belongs to an account" in note.body
    river.refresh_from_db()
    assert river.email == "river@example.com"


def test_an_address_claimed_between_the_link_and_its_use_is_not_given_twice(river, fresh_mail_limits):
    _logged_in(river).post("/me/account/email/", {"email": "sea@example.com", "password": PASSWORD})
    link = link_in(mails_to("sea@example.com")[0], "/me/account/email/")
    factories.UserFactory(username="sea", email="SEA@example.com")

    assert Client().get(link).status_code == 400
    assert User.objects.filter(email__iexact="sea@example.com").count() == 1


def test_the_account_pages_speak_german(river):
    Profile.objects.filter(user=river).update(language="de")
    client = _logged_in(river)

    pages = {path: client.get(path) for path in ("/me/account/", "/me/account/email/", "/me/account/data/")}

    assert "Ihr Konto" in pages["/me/account/"].text
    assert "E-Mail-Adresse ändern" in pages["/me/account/email/"].text
    assert "Ihre Daten herunterladen" in pages["/me/account/data/"].text


# --- unsubscribe links expire ---------------------------------------------------------------------


def test_an_unsubscribe_link_works_for_a_year_then_leads_to_the_settings(river, settings):
    link = unsubscribe_url(user_id=river.pk, campaign_id=None).removeprefix(settings.SITE_URL.rstrip("/"))

    with time_machine.travel(timezone.now() + timedelta(days=364)):
        assert Client().post(link).status_code == 200
    assert Unsubscription.objects.filter(user=river).count() == 1
    Unsubscription.objects.all().delete()

    with time_machine.travel(timezone.now() + timedelta(days=366)):
        expired = Client().post(link)
        assert expired.status_code == 410
        assert 'href="/me/settings/"' in expired.text
    assert not Unsubscription.objects.exists()
