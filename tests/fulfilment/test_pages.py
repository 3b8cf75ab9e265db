"""The backer's survey page, "my pledges" with the reward's status, and the studio's survey and
fulfilment pages, through Django's test client (the pages of tests/web, kept beside the app)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accounts.models import Profile
from fulfilment.models import Fulfilment, Survey, SurveyResponse
from fulfilment.services import fulfilment_update

pytestmark = [pytest.mark.django_db, pytest.mark.provider_store_per_module]  # funded: conftest.py


def logged_in(user, language="en") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


def _form(survey, prompt_values, address=None):
    ids = {q.prompt: q.pk for q in survey.questions.all()}
    data = {f"q{ids[prompt]}": value for prompt, value in prompt_values.items()}
    return {**data, **(address or {})}


def test_a_german_backer_answers_on_a_german_page_with_the_address(sent_survey, funded):
    pledge = funded["pledges"]["vinyl"]
    Profile.objects.filter(user=pledge.backer).update(language="de")
    client = logged_in(pledge.backer)
    url = f"/me/pledges/{pledge.pk}/survey/"

    page = client.get(url)
    assert page.status_code == 200
    assert "Wohin soll Ihre Belohnung geschickt werden?" in page.text
    assert '<option value="DE">Deutschland</option>' in page.text

    bad = client.post(
        url,
        _form(
            sent_survey,
            {"Name for the credits": "Anna", "Vinyl colour": "Red"},
            {
                "name": "Anna",
                "address1": "Unter den Linden 1",
                "city": "Berlin",
                "postal_code": "1011",
                "country": "DE",
            },
        ),
    )
    assert bad.status_code == 400
    assert "Das ist für Adressen in diesem Land nicht gültig." in bad.text
    assert not SurveyResponse.objects.exists()

    good = client.post(
        url,
        _form(
            sent_survey,
            {"Name for the credits": "Anna", "Vinyl colour": "Red"},
            {
                "name": "Anna",
                "address1": "Unter den Linden 1",
                "city": "Berlin",
                "postal_code": "10117",
                "country": "DE",
            },
        ),
    )
    assert good.status_code == 302
    assert SurveyResponse.objects.get(pledge=pledge).postal_code == "10117"


def test_another_backers_survey_page_is_not_found(sent_survey, funded):
    client = logged_in(funded["pledges"]["vinyl"].backer)
    assert client.get(f"/me/pledges/{funded['pledges']['digital'].pk}/survey/").status_code == 404
    assert client.post(f"/me/pledges/{funded['pledges']['digital'].pk}/received/").status_code == 404


def test_my_pledges_shows_the_tracking_and_takes_received(sent_survey, funded):
    pledge = funded["pledges"]["vinyl"]
    fulfilment_update(
        pledge=pledge,
        user=funded["campaign"].creator,
        status="shipped",
        carrier="DHL",
        tracking_number="RR123456785DE",
        tracking_url="https://www.dhl.de/t",
    )
    client = logged_in(pledge.backer)

    page = client.get("/me/pledges/")
    assert "RR123456785DE" in page.text
    assert f"/me/pledges/{pledge.pk}/survey/" in page.text
    assert client.post(f"/me/pledges/{pledge.pk}/received/").status_code == 302
    assert Fulfilment.objects.get(pledge=pledge).status == "received"


def test_the_creator_builds_previews_and_sends_the_survey_in_the_studio(funded):
    campaign = funded["campaign"]
    client = logged_in(campaign.creator)
    url = f"/studio/{campaign.slug}/survey/"
    lock = (timezone.now() + timezone.timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "lock_at": lock,
        "asks_address": "on",
        "prompt_0": "T-shirt size",
        "kind_0": "choice",
        "tier_0": str(funded["vinyl"].pk),
        "choices_0": "S\nM\nL",
        "required_0": "on",
        "kind_1": "text",
        "kind_2": "text",
    }

    refused = client.post(url, {**data, "choices_0": "S"})
    assert refused.status_code == 400
    assert not Survey.objects.exists()
    assert client.post(url, data).status_code == 302
    preview = client.get(url, {"preview": funded["vinyl"].pk}).text.split('id="survey-preview"')[1]
    assert "T-shirt size" in preview and "Postal code" in preview
    digital = client.get(url, {"preview": funded["digital"].pk}).text.split('id="survey-preview"')[1]
    assert "T-shirt size" not in digital and "Postal code" not in digital
    assert client.post(url, {"send": "1"}).status_code == 302
    assert Survey.objects.get().state == "sent"
    assert "response-rates" in client.get(url).text
    assert logged_in(funded["pledges"]["vinyl"].backer).get(url).status_code == 404


def test_the_creator_uploads_tracking_numbers_and_sees_the_wrong_lines(funded):
    campaign = funded["campaign"]
    client = logged_in(campaign.creator, "de")
    url = f"/studio/{campaign.slug}/fulfilment/upload/"
    pledge = funded["pledges"]["vinyl"]

    bad = client.post(url, {"file": SimpleUploadedFile("t.csv", b"Pledge ID,Carrier,Tracking\nx,DHL,1\n")})
    assert bad.status_code == 400
    assert "Zeile 2:" in bad.text
    good = SimpleUploadedFile("t.csv", f"Pledge ID,Carrier,Tracking\n{pledge.pk},DHL,1Z9\n".encode())
    assert client.post(url, {"file": good}).status_code == 302
    assert Fulfilment.objects.get(pledge=pledge).tracking_number == "1Z9"
