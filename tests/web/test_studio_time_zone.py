"""The deadline is typed in the creator's time zone (issue 21): a zone saved on the account
(settings.TIME_ZONE until one is), which the studio's deadline field reads and shows, named
beside the field."""

import re
import zoneinfo
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Profile
from campaigns.models import Campaign
from tests import factories

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture
def maya():
    return factories.UserFactory(username="maya")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _errors(page) -> list[str]:
    return [unescape(e) for e in re.findall(r'<ul class="errorlist[^"]*"[^>]*>\s*<li>(.*?)</li>', page.text, re.S)]


def test_a_creator_saves_a_time_zone_and_an_unknown_one_is_refused(maya):
    client = logged_in(maya)
    page = client.get("/me/account/time-zone/")
    assert page.status_code == 200
    assert "Until you choose one, it is UTC." in page.text
    assert '<option value="Europe/Berlin">Europe/Berlin</option>' in page.text

    refused = client.post("/me/account/time-zone/", {"time_zone": "Mars/Olympus_Mons"})
    saved = client.post("/me/account/time-zone/", {"time_zone": "Europe/Berlin"})

    assert refused.status_code == 400
    assert len(_errors(refused)) == 1
    assert saved["Location"] == "/me/account/"
    assert Profile.objects.get(user=maya).time_zone == "Europe/Berlin"
    assert "Deadlines in the studio are in <strong>Europe/Berlin</strong>." in client.get("/me/account/").text


def test_the_deadline_is_read_and_shown_in_the_creators_zone(maya):
    Profile.objects.filter(user=maya).update(time_zone="Europe/Berlin")
    client = logged_in(maya)
    typed = (timezone.now() + timedelta(days=10)).astimezone(BERLIN).replace(hour=12, minute=0, second=0, microsecond=0)
    form = client.get("/studio/new/")
    assert "In your time zone, Europe/Berlin" in form.text

    created = client.post(
        "/studio/new/",
        {
            "title": "Pocket Atlas",
            "goal": "500.00",
            "currency": "EUR",
            "deadline": typed.strftime("%Y-%m-%dT%H:%M"),
            "funding_model": "all_or_nothing",
        },
    )

    assert created.status_code == 302
    campaign = Campaign.objects.get()
    expected_utc = datetime(typed.year, typed.month, typed.day, 12, 0, tzinfo=BERLIN).astimezone(UTC)
    assert campaign.deadline == expected_utc
    assert expected_utc.hour in (10, 11)  # CEST or CET: not the 12:00 typed
    edit = client.get(f"/studio/{campaign.slug}/edit/")
    assert f'value="{typed.strftime("%Y-%m-%dT12:00")}"' in edit.text
    dashboard = client.get(f"/studio/{campaign.slug}/")
    assert "12:00 (Europe/Berlin)" in dashboard.text


def test_without_a_zone_the_studio_reads_utc(maya):
    client = logged_in(maya)
    factories.DraftCampaignFactory(creator=maya, goal=Decimal("100.00"))
    assert "In your time zone, UTC" in client.get("/studio/new/").text
