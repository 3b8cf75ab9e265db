"""E-mails are written in their recipient's language (the one on their profile), amounts and
dates included, whatever language the thread that sends them served last."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.models import Profile
from campaigns.models import Campaign
from core.unsubscribe import unsubscribe_url
from notifications.services import creator_digests, notifications_send
from tests import factories
from tests.i18n.catalog import VisibleText, english_left, english_patterns
from updates.services import update_deliveries_create, update_deliveries_send, update_publish

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
NBSP = "\xa0"
TITLE = "Das neue Album"
DEADLINE = datetime(2099, 5, 31, 18, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def patterns():
    return english_patterns()


@pytest.fixture
def campaign():
    campaign = factories.LiveCampaignFactory(
        title=TITLE,
        goal=Decimal("100000.00"),
        rewards=[{"title": "Signierte Schallplatte", "minimum": Decimal("250.00")}],
    )
    Campaign.objects.filter(pk=campaign.pk).update(deadline=DEADLINE)
    campaign.refresh_from_db()
    return campaign


def user_reading(language: str | None, name: str):
    user = factories.UserFactory(username=name, email=f"{name}@example.com", password=PASSWORD)
    if language:
        Profile.objects.filter(user=user).update(language=language)
    return user


def to(address: str):
    return next(message for message in mail.outbox if message.to == [address])


def assert_no_english(message, patterns):
    assert english_left(message.subject, patterns) == []
    assert english_left(message.body, patterns) == []
    assert english_left(VisibleText.of(message.alternatives[0].content), patterns) == []


def test_a_pledge_is_confirmed_to_each_backer_in_their_own_language(campaign, patterns):
    lena, river = user_reading("de", "lena"), user_reading(None, "river")
    reward = campaign.rewards.get()
    for backer, amount in ((lena, "1250.00"), (river, "300.00")):
        factories.PledgeFactory(campaign=campaign, backer=backer, amount=Decimal(amount), reward=reward)
    mail.outbox.clear()

    with translation.override("en"):  # the worker's thread last served an English page
        notifications_send()

    german, english = to(lena.email), to(river.email)
    assert german.subject == f"Sie unterstützen {TITLE}"
    assert "Hallo lena," in german.body
    assert f"Vielen Dank, dass Sie {TITLE} unterstützen: 1.250,00{NBSP}$ für „Signierte Schallplatte“." in german.body
    assert "bis zum 31. Mai 2099, 18:00 UTC finanziert ist" in german.body
    html = german.alternatives[0].content
    assert '<html lang="de">' in html and "Abbestellen" in html
    assert_no_english(german, patterns)

    assert english.subject == f"You're a backer of {TITLE}"
    assert f'Thank you for backing {TITLE}: $300.00 for "Signierte Schallplatte".' in english.body
    assert "funded by 31 May 2099, 18:00 UTC" in english.body
    assert '<html lang="en">' in english.alternatives[0].content


def test_a_creator_s_update_reaches_a_german_backer_in_german(campaign, patterns):
    lena = user_reading("de", "lena")
    factories.PledgeFactory(campaign=campaign, backer=lena, amount=Decimal("5.00"))
    update = update_publish(campaign=campaign, author=campaign.creator, title="Die Platten sind da", body="Hallo!")
    update_deliveries_create(update_id=update.pk)
    mail.outbox.clear()

    update_deliveries_send(update_id=update.pk)

    message = to(lena.email)
    assert message.subject == f"{TITLE} · Update Nr. 1: Die Platten sind da"
    assert "Abbestellen" in message.alternatives[0].content
    assert_no_english(message, patterns)


def _update_to(campaign, backers: int) -> int:
    """An update's fan-out to `backers` German backers: the update's id, its deliveries written."""
    for n in range(backers):
        backer = user_reading("de", f"leser{campaign.pk}x{n}")
        factories.PledgeFactory(campaign=campaign, backer=backer, amount=Decimal("5.00"))
    update = update_publish(campaign=campaign, author=campaign.creator, title="Neuigkeiten", body="Hallo!")
    update_deliveries_create(update_id=update.pk)
    mail.outbox.clear()
    return update.pk


def test_an_update_s_language_per_recipient_costs_no_query_of_its_own():
    """The recipients' profiles come with the deliveries (one join), not one query each."""
    campaign = factories.LiveCampaignFactory()
    update_id = _update_to(campaign, 3)

    with CaptureQueriesContext(connection) as queries:
        assert update_deliveries_send(update_id=update_id) == 3

    assert [q["sql"] for q in queries.captured_queries if 'FROM "accounts_profile"' in q["sql"]] == []
    assert [message.subject for message in mail.outbox] == [f"{campaign.title} · Update Nr. 1: Neuigkeiten"] * 3


def test_signing_up_in_german_keeps_the_language_and_confirms_the_address_in_german(patterns):
    visitor = Client(headers={"accept-language": "de"})
    mail.outbox.clear()

    response = visitor.post("/register/", {"username": "lena", "email": "lena@example.com", "password": PASSWORD})

    assert response.status_code == 302
    message = to("lena@example.com")
    assert message.subject == "Bestätigen Sie Ihre E-Mail-Adresse für Pledgeboard"
    assert "Willkommen bei Pledgeboard!" in message.body
    assert_no_english(message, patterns)
    link = re.search(r"https?://[^/\s]+(/verify/\S+/)", message.body).group(1)
    assert Client().get(link).status_code == 302  # opened in a browser that reads English
    assert Profile.objects.get(user__username="lena").language == "de"


def test_a_password_reset_asked_from_an_english_browser_is_written_in_the_account_s_language(patterns):
    user_reading("de", "lena")
    visitor = Client(headers={"accept-language": "en"})
    mail.outbox.clear()

    visitor.post("/password-reset/", {"email": "lena@example.com"})

    message = to("lena@example.com")
    assert message.subject == "Wählen Sie ein neues Pledgeboard-Passwort"
    assert "Jemand (hoffentlich Sie) hat darum gebeten" in message.body
    assert re.search(r"/password-reset/[^/]+/[^/]+/", message.body)
    assert_no_english(message, patterns)


def test_the_unsubscribe_page_of_a_german_recipient_s_link_is_german(patterns):
    lena = user_reading("de", "lena")
    visitor = Client(headers={"accept-language": "en"})  # a link opened in a browser set to English

    page = visitor.get(unsubscribe_url(user_id=lena.pk, campaign_id=None))

    assert page.status_code == 200 and '<html lang="de">' in page.text
    assert "Keine Benachrichtigungen von Pledgeboard zu Ihren Unterstützungen mehr erhalten?" in page.text
    assert english_left(VisibleText.of(page.text), patterns) == []


def test_a_german_creator_s_digest_writes_numbers_and_amounts_the_german_way(campaign, patterns):
    Profile.objects.filter(user=campaign.creator).update(language="de")
    Campaign.objects.filter(pk=campaign.pk).update(pledged=Decimal("1191543.00"), backers_count=24882)
    factories.PledgeFactory(campaign=campaign, backer=user_reading(None, "river"), amount=Decimal("1250.00"))
    creator_digests()
    mail.outbox.clear()

    notifications_send()

    digest = to(campaign.creator.email)
    assert digest.subject == f"1 neue Unterstützung für {TITLE}"
    assert f"1 neue Unterstützung über 1.250,00{NBSP}$ erhalten." in digest.body
    assert f"Die Kampagne hat jetzt 24.883 Unterstützer und ist zu 1.192{NBSP}% finanziert." in digest.body
    assert_no_english(digest, patterns)
