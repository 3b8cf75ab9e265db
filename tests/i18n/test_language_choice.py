"""Choosing the language: the footer's switcher (Django's set_language, POST with CSRF) for
visitors, kept on the profile of a signed-in user, who may also choose it in their settings."""

import re

import pytest
from django.test import Client

from accounts.models import Profile
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def csrf_token(page) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def login(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    token = csrf_token(client.get("/login/"))
    response = client.post("/login/", {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    return client


def test_a_visitor_switches_to_german_with_the_footer_and_stays_there():
    visitor = Client(enforce_csrf_checks=True)

    first = visitor.get("/")  # no cookies yet: a page the same for every visitor, no CSRF cookie set
    assert '<html lang="en">' in first.text
    assert 'action="/language/"' in first.text and "csrfmiddlewaretoken" not in first.text
    assert not first.cookies

    asked = visitor.get("/language/", {"language": "de", "next": "/"})  # the footer's button, by GET
    assert asked.status_code == 200 and '<html lang="de">' in asked.text
    refused = visitor.post("/language/", {"language": "de", "next": "/"})
    assert refused.status_code == 403  # no token, no change

    chosen = visitor.post("/language/", {"language": "de", "next": "/", "csrfmiddlewaretoken": csrf_token(asked)})

    assert chosen.status_code == 302 and chosen["Location"] == "/"
    page = visitor.get("/")
    assert '<html lang="de">' in page.text and "Kampagnen" in page.text
    # Now the page has cookies, so the footer posts straight away, with its token.
    assert re.search(r'<form class="languages" method="post" action="/language/"', page.text)
    assert "csrfmiddlewaretoken" in page.text


def test_the_switcher_refuses_a_language_the_site_does_not_offer():
    visitor = Client()
    visitor.get("/")

    visitor.post("/language/", {"language": "fr", "next": "/"})

    assert '<html lang="en">' in visitor.get("/", headers={"accept-language": "fr"}).text


def test_a_signed_in_user_s_choice_is_kept_and_follows_them_to_another_browser():
    user = factories.UserFactory(username="lena", password=PASSWORD)
    client = login(user)
    page = client.get("/me/pledges/")
    assert '<html lang="en">' in page.text

    client.post("/language/", {"language": "de", "next": "/me/pledges/", "csrfmiddlewaretoken": csrf_token(page)})

    assert Profile.objects.get(user=user).language == "de"
    elsewhere = login(user)  # another browser: no language cookie, and it asks for English
    assert '<html lang="de">' in elsewhere.get("/me/pledges/", headers={"accept-language": "en"}).text


def test_the_language_is_chosen_in_the_settings_too():
    user = factories.UserFactory(username="lena", password=PASSWORD)
    Profile.objects.filter(user=user).update(language="de")
    client = login(user)
    page = client.get("/me/settings/")
    assert '<option value="de" lang="de" selected>Deutsch</option>' in page.text

    response = client.post(
        "/me/settings/", {"action": "language", "language": "en", "csrfmiddlewaretoken": csrf_token(page)}, follow=True
    )

    assert Profile.objects.get(user=user).language == "en"
    assert '<html lang="en">' in response.text and "Your e-mail settings are saved." in response.text


def test_a_user_who_never_chose_reads_what_their_browser_asks_for():
    user = factories.UserFactory(username="river", password=PASSWORD)
    client = login(user)

    assert '<html lang="de">' in client.get("/me/pledges/", headers={"accept-language": "de"}).text
    assert Profile.objects.get(user=user).language == ""  # nothing chosen
