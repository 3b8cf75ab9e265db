"""A German reader's pages: lang="de", German amounts and dates, and no English string of the
catalogue left on them. Visitors get German from their browser (Accept-Language) or the
switcher; a signed-in user from the language kept on their profile, whatever the browser says."""

import re
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accounts.models import Profile
from campaigns.models import Campaign
from tests import factories
from tests.i18n.catalog import VisibleText, english_left, english_patterns

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
NBSP = "\xa0"
# Amanda Palmer's 2012 campaign, as a German reader writes its figures (CLDR de: "." groups
# thousands, "," before the cents, the symbol after a no-break space).
PLEDGED_DE = f"1.192.793,00{NBSP}$"
GOAL_DE = f"100.000,00{NBSP}$"
BACKERS_DE = "24.883"
PLEDGE_DE = f"250,00{NBSP}$"


@pytest.fixture(scope="module")
def patterns():
    return english_patterns()


@pytest.fixture
def german():
    user = factories.UserFactory(username="lena", email="lena@example.com", password=PASSWORD)
    Profile.objects.filter(user=user).update(language="de")
    return user


@pytest.fixture
def campaign():
    # Titles and tiers are the creator's words, in German here: only the site's own text is checked.
    campaign = factories.LiveCampaignFactory(
        title="Das neue Album, Kunstbuch und Tournee",
        goal=Decimal("100000.00"),
        rewards=[
            {"title": "Signierte Schallplatte", "minimum": Decimal("250.00"), "limit": 500},
            {"title": "Digitales Album", "minimum": Decimal("1.00")},
        ],
    )
    Campaign.objects.filter(pk=campaign.pk).update(pledged=Decimal("1192793.00"), backers_count=24883)
    campaign.refresh_from_db()
    return campaign


def login(user, *, accept_language: str = "en") -> Client:
    """As a browser does it: the login page's CSRF token, then the form posted with it."""
    client = Client(enforce_csrf_checks=True, headers={"accept-language": accept_language})
    page = client.get("/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = client.post("/login/", {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert response.status_code == 302, response.text
    return client


def assert_german(response, patterns):
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert '<html lang="de">' in html
    assert response["Content-Language"] == "de"
    text = VisibleText.of(html)
    assert english_left(text, patterns) == []
    return text


def test_a_german_browser_gets_the_campaign_pages_in_german(campaign, patterns):
    visitor = Client(headers={"accept-language": "de-DE,de;q=0.9,en;q=0.5"})

    page = assert_german(visitor.get(f"/campaigns/{campaign.slug}/"), patterns)
    listing = assert_german(visitor.get("/"), patterns)

    assert PLEDGED_DE in page and f"zugesagt von {GOAL_DE} Finanzierungsziel" in page
    assert BACKERS_DE in page and "Unterstützer" in page
    assert f"1.192{NBSP}%" in page  # CLDR de: a no-break space before the percent sign
    assert f"Mit {PLEDGE_DE} oder mehr unterstützen" in page
    assert "Anmelden" in page and "Belohnungen" in page
    assert "$1,192,793.00" not in page
    assert PLEDGED_DE in listing and f"{BACKERS_DE} Unterstützer" in listing


def test_sign_up_and_login_pages_follow_the_browser(patterns):
    visitor = Client(headers={"accept-language": "de"})

    register = assert_german(visitor.get("/register/"), patterns)
    login_page = assert_german(visitor.get("/login/"), patterns)

    assert "Konto erstellen" in register and "Benutzername" in register
    assert "Passwort vergessen?" in login_page


def test_form_errors_are_german(patterns):
    visitor = Client(headers={"accept-language": "de"})

    refused = visitor.post("/register/", {"username": "lena", "email": "not an address", "password": "1"})

    assert refused.status_code == 400
    text = VisibleText.of(refused.content.decode())
    # Django's message, in our catalogue's words ("Sie"), not DRF's ("du"), which would otherwise win.
    assert "Bitte geben Sie eine gültige E-Mail-Adresse ein." in text
    assert english_left(text, patterns) == []

    weak = visitor.post("/register/", {"username": "lena", "email": "lena@example.com", "password": "1"})

    text = VisibleText.of(weak.content.decode())
    assert weak.status_code == 400 and "Dieses Passwort ist zu kurz." in text  # Django's own catalogue
    assert english_left(text, patterns) == []


def test_a_signed_in_german_user_reads_every_backer_page_in_german(campaign, german, patterns):
    reward = campaign.rewards.get(title="Signierte Schallplatte")
    pledge = factories.PledgeFactory(campaign=campaign, backer=german, amount=Decimal("250.00"), reward=reward)
    client = login(german)  # the browser asks for English; the profile says German

    page = assert_german(client.get(f"/campaigns/{campaign.slug}/"), patterns)
    pledges = assert_german(client.get("/me/pledges/"), patterns)
    detail = assert_german(client.get(f"/me/pledges/{pledge.pk}/"), patterns)
    settings_page = assert_german(client.get("/me/settings/"), patterns)

    assert f"Sie unterstützen diese Kampagne mit {PLEDGE_DE}." in page
    assert PLEDGE_DE in pledges and "Signierte Schallplatte" in pledges
    assert PLEDGE_DE in detail
    deadline = campaign.deadline
    assert f"{deadline.day}. {GERMAN_MONTHS[deadline.month - 1]} {deadline.year}" in detail
    assert "E-Mail-Einstellungen" in settings_page and "Sprache speichern" in settings_page


def test_checkout_in_german(campaign, german, patterns):
    client = login(german)

    checkout = assert_german(client.get(f"/campaigns/{campaign.slug}/pledge/"), patterns)

    assert "Weiter zur Zahlung" in checkout and "Unterstützungsbetrag (USD)" in checkout
    assert f"Unterstützung ab {PLEDGE_DE}" in checkout


def test_the_creator_studio_in_german(german, patterns):
    own = factories.LiveCampaignFactory(
        creator=german,
        title="Mein Hörbuch",
        goal=Decimal("5000.00"),
        rewards=[{"title": "Download", "minimum": Decimal("10.00")}],
    )
    factories.DraftCampaignFactory(creator=german, title="Mein Entwurf")
    client = login(german)

    home = assert_german(client.get("/studio/"), patterns)
    dashboard = assert_german(client.get(f"/studio/{own.slug}/"), patterns)
    assert_german(client.get("/studio/new/"), patterns)
    assert_german(client.get(f"/studio/{own.slug}/edit/"), patterns)
    assert_german(client.get(f"/studio/{own.slug}/rewards/new/"), patterns)

    assert "Meine Kampagnen" in home and "Mein Entwurf" in home
    assert f"5.000,00{NBSP}$" in dashboard


def test_error_pages_in_german(patterns):
    visitor = Client(headers={"accept-language": "de"})

    missing = visitor.get("/campaigns/no-such-campaign/")

    assert missing.status_code == 404
    assert '<html lang="de">' in missing.text and "Diese Seite gibt es nicht" in missing.text
    assert english_left(VisibleText.of(missing.text), patterns) == []


GERMAN_MONTHS = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
]


def test_the_same_check_finds_the_english_of_an_english_page(campaign, patterns):
    """The check above is not vacuous: on the English page it finds the catalogue's English."""
    page = Client(headers={"accept-language": "en"}).get(f"/campaigns/{campaign.slug}/")

    found = english_left(VisibleText.of(page.content.decode()), patterns)

    assert '<html lang="en">' in page.text
    assert {"Rewards", "Back this campaign", "Skip to content", "Campaigns", "Sign up"} <= set(found)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"currency": "JPY", "goal": "1000.50"}, "Ziel hat mehr Nachkommastellen, als JPY erlaubt (0)."),
        ({"goal": "2000000000"}, "Ziel ist zu groß: höchstens 1000000000.00 EUR."),
        ({"deadline": "2020-01-01T12:00"}, "Die Frist muss in der Zukunft liegen."),
        ({"image_alt": "Karte\x07"}, "Bildbeschreibung enthält ein unsichtbares oder Steuerzeichen (U+0007)."),
        (
            {"image": SimpleUploadedFile("karte.png", b"kein Bild " * 20, content_type="image/png")},
            "Die Datei ist kein Bild, das wir lesen können (PNG, JPEG, WebP oder GIF).",
        ),
    ],
)
def test_the_studio_s_refusals_are_german_field_names_included(german, patterns, overrides, message):
    client = login(german)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get("/studio/new/").text).group(1)
    data = {
        "title": "Taschenatlas",
        "description": "Karten von **jedem** Tal.",
        "goal": "500.00",
        "currency": "EUR",
        # within the longest campaign (CAMPAIGN_MAX_DURATION): a later one is refused as typed
        "deadline": (timezone.now() + timedelta(days=30)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M"),
        "funding_model": "all_or_nothing",
        "csrfmiddlewaretoken": token,
    }

    refused = client.post("/studio/new/", {**data, **overrides})

    assert refused.status_code == 400
    text = VisibleText.of(refused.content.decode())
    assert message in " ".join(text.split())
    assert english_left(text, patterns) == []
