"""The survey and fulfilment endpoints: the happy paths, ownership, and bad input on each."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fulfilment.models import Fulfilment, Survey, SurveyResponse
from fulfilment.services import fulfilment_mails_send, survey_mails_create
from tests import factories
from tests.fulfilment.conftest import GOOD_DE_ADDRESS, questions
from tests.support.api import assert_error, client_as

pytestmark = [pytest.mark.django_db, pytest.mark.provider_store_per_module]  # funded: conftest.py


def _survey_url(campaign, tail=""):
    return f"/api/campaigns/{campaign.pk}/survey/{tail}"


def _lock(days=30):
    return (timezone.now() + timedelta(days=days)).isoformat()


def test_the_creator_builds_previews_and_sends_and_each_backer_answers(funded):
    campaign, creator = funded["campaign"], funded["campaign"].creator
    client = client_as(creator)

    saved = client.put(_survey_url(campaign), {"lock_at": _lock(), "questions": questions(funded)}, format="json")
    assert saved.status_code == 200, saved.json()
    assert [q["prompt"] for q in saved.json()["questions"]] == ["Name for the credits", "Vinyl colour", "Bonus tracks"]
    sent = client.post(_survey_url(campaign, "send/"))
    assert (sent.status_code, sent.json()["state"]) == (200, "sent")

    survey_mails_create(survey_id=sent.json()["id"])
    mail.outbox.clear()
    assert fulfilment_mails_send() == 4

    pledge = funded["pledges"]["vinyl"]
    backer = client_as(pledge.backer)
    mine = backer.get(f"/api/pledges/{pledge.pk}/survey/").json()
    assert (mine["needs_address"], mine["editable"], mine["answers"]) == (True, True, None)
    ids = {q["prompt"]: str(q["id"]) for q in mine["questions"]}
    answered = backer.put(
        f"/api/pledges/{pledge.pk}/survey/",
        {"answers": {ids["Name for the credits"]: "Anna", ids["Vinyl colour"]: "Red"}, "address": GOOD_DE_ADDRESS},
        format="json",
    )
    assert answered.status_code == 200, answered.json()
    assert answered.json()["address"]["postal_code"] == "10117"

    rates = client.get(_survey_url(campaign)).json()["response_rates"]
    assert {r["title"]: (r["backers"], r["answered"]) for r in rates} == {
        "Digital album": (1, 0),
        "Vinyl": (2, 1),
        "": (1, 0),
    }
    responses = client.get(_survey_url(campaign, "responses/")).json()
    assert responses["count"] == 1
    assert responses["results"][0]["address"]["city"] == "Berlin"
    reminded = client.post(_survey_url(campaign, "remind/"))
    assert reminded.json() == {"reminded": 3}
    assert_error(client.post(_survey_url(campaign, "remind/")), 429, code="reminded_recently")


def test_the_schema_documents_the_endpoints(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert {"get", "put", "delete"} <= set(paths["/api/campaigns/{campaign_id}/survey/"])
    for path in (
        "/api/campaigns/{campaign_id}/survey/send/",
        "/api/campaigns/{campaign_id}/survey/remind/",
        "/api/campaigns/{campaign_id}/fulfilment/upload/",
        "/api/pledges/{pledge_id}/received/",
    ):
        assert "post" in paths[path]
    assert "patch" in paths["/api/campaigns/{campaign_id}/fulfilment/{pledge_id}/"]
    assert {"get", "put"} <= set(paths["/api/pledges/{pledge_id}/survey/"])


# --- who may ---------------------------------------------------------------------------------


def test_other_creators_backers_and_strangers_cannot_touch_the_survey(sent_survey, funded):
    campaign = funded["campaign"]
    other_creator = factories.LiveCampaignFactory().creator
    backer = funded["pledges"]["vinyl"].backer
    for user in (other_creator, backer):
        client = client_as(user)
        assert_error(client.get(_survey_url(campaign)), 403)
        assert_error(client.put(_survey_url(campaign), {"lock_at": _lock()}, format="json"), 403)
        assert_error(client.post(_survey_url(campaign, "send/")), 403)
        assert_error(client.post(_survey_url(campaign, "remind/")), 403)
        assert_error(client.get(_survey_url(campaign, "responses/")), 403)
    assert_error(client_as(None).get(_survey_url(campaign)), 401)


def test_a_backer_sees_and_answers_only_their_own_pledges_survey(sent_survey, funded):
    mine, theirs = funded["pledges"]["vinyl"], funded["pledges"]["digital"]
    client = client_as(mine.backer)

    assert_error(client.get(f"/api/pledges/{theirs.pk}/survey/"), 404)
    assert_error(client.put(f"/api/pledges/{theirs.pk}/survey/", {"answers": {}}, format="json"), 404)
    assert_error(client.post(f"/api/pledges/{theirs.pk}/received/"), 404)
    assert_error(client.get(f"/api/pledges/{theirs.pk}/fulfilment/"), 404)
    assert not SurveyResponse.objects.exists()


def test_staff_read_responses_by_permission_and_addresses_by_another(sent_survey, funded):
    pledge = funded["pledges"]["vinyl"]
    ids = {q.prompt: str(q.pk) for q in sent_survey.questions.all()}
    client_as(pledge.backer).put(
        f"/api/pledges/{pledge.pk}/survey/",
        {"answers": {ids["Name for the credits"]: "Anna", ids["Vinyl colour"]: "Red"}, "address": GOOD_DE_ADDRESS},
        format="json",
    )
    url = _survey_url(funded["campaign"], "responses/")
    plain = factories.StaffFactory(permissions=["campaigns.view_campaign"])
    reader = factories.StaffFactory(permissions=["campaigns.view_campaign", "fulfilment.view_surveyresponse"])
    addresses = factories.StaffFactory(
        permissions=["campaigns.view_campaign", "fulfilment.view_surveyresponse", "fulfilment.view_shipping_address"]
    )

    assert_error(client_as(plain).get(url), 403)
    assert client_as(reader).get(url).json()["results"][0]["address"] is None
    assert client_as(addresses).get(url).json()["results"][0]["address"]["city"] == "Berlin"
    assert_error(client_as(reader).post(_survey_url(funded["campaign"], "remind/")), 403)


def test_the_creator_updates_fulfilment_and_the_backer_marks_it_received(funded):
    campaign, pledge = funded["campaign"], funded["pledges"]["vinyl"]
    url = f"/api/campaigns/{campaign.pk}/fulfilment/{pledge.pk}/"
    shipped = client_as(campaign.creator).patch(
        url, {"status": "shipped", "carrier": "DHL", "tracking_number": "RR123456785DE"}, format="json"
    )
    assert (shipped.status_code, shipped.json()["status"]) == (200, "shipped")
    assert_error(client_as(pledge.backer).patch(url, {"status": "delivered"}, format="json"), 403)

    backer = client_as(pledge.backer)
    assert backer.get(f"/api/pledges/{pledge.pk}/fulfilment/").json()["tracking_number"] == "RR123456785DE"
    assert backer.post(f"/api/pledges/{pledge.pk}/received/").json()["status"] == "received"
    assert_error(backer.post(f"/api/pledges/{pledge.pk}/received/"), 409, code="not_shipped")


def test_another_campaigns_pledge_is_not_found_under_this_campaign(funded):
    other = factories.CollectedPledgeFactory()
    url = f"/api/campaigns/{funded['campaign'].pk}/fulfilment/{other.pk}/"
    body = {"status": "shipped", "carrier": "DHL", "tracking_number": "1"}
    assert_error(client_as(funded["campaign"].creator).patch(url, body, format="json"), 404)
    assert not Fulfilment.objects.exists()


def test_the_csv_upload_answers_with_line_numbers_or_the_count(funded):
    campaign = funded["campaign"]
    client = client_as(campaign.creator)
    url = f"/api/campaigns/{campaign.pk}/fulfilment/upload/"
    pledge = funded["pledges"]["vinyl"]

    bad = SimpleUploadedFile("t.csv", b"Pledge ID,Carrier,Tracking\nx,DHL,1\n", content_type="text/csv")
    body = assert_error(client.post(url, {"file": bad}, format="multipart"), 400, field="file")
    assert body["errors"]["file"][0].startswith("Line 2:")
    good = SimpleUploadedFile("t.csv", f"Pledge ID,Carrier,Tracking\n{pledge.pk},DHL,1Z9\n".encode(), "text/csv")
    assert client.post(url, {"file": good}, format="multipart").json() == {"updated": 1}
    assert_error(client.post(url, {}, format="multipart"), 400, field="file")
    assert_error(client_as(pledge.backer).post(url, {"file": good}, format="multipart"), 403)


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"lock_at": ""}, "lock_at"),
        ({"lock_at": "tomorrow"}, "lock_at"),
        ({"lock_at": "2000-01-01T00:00:00Z"}, "lock_at"),
        ({"lock_at": "2999-01-01T00:00:00Z"}, "lock_at"),
        ({"lock_at": None}, "lock_at"),
        ({"questions": "text"}, "questions"),
        ({"questions": [{"kind": "text", "prompt": "x" * 10_000}]}, "questions.0"),
        ({"questions": [{"kind": "text", "prompt": "a\x00b"}]}, "questions.0"),
        ({"questions": [{"kind": "text", "prompt": "a\u202eb"}]}, "questions.0"),
        ({"questions": [{"kind": "choice", "prompt": "Size", "choices": ["S"] * 31}]}, "questions.0"),
        ({"questions": [{"kind": "choice", "prompt": "Size", "choices": [["S"], {"M": 1}]}]}, "questions.0"),
        ({"questions": [{"kind": "text", "prompt": "Name"}] * 51}, "questions"),
        ({"questions": [{"kind": "text", "prompt": "Name", "tier": "1; DROP"}]}, "questions.0"),
        ({"asks_address": "perhaps"}, "asks_address"),
    ],
)
def test_bad_survey_input_is_a_400_naming_the_field(funded, payload, field):
    payload = {"lock_at": _lock(), **payload}
    response = client_as(funded["campaign"].creator).put(_survey_url(funded["campaign"]), payload, format="json")
    assert_error(response, 400, field=field)
    assert not Survey.objects.exists()


def test_another_campaigns_tier_in_a_question_is_refused(funded):
    other = factories.LiveCampaignFactory(rewards=[{"title": "X", "minimum": funded["vinyl"].minimum}])
    question = {"kind": "choice", "prompt": "Size", "choices": ["S", "M"], "tier": other.rewards.get().pk}
    response = client_as(funded["campaign"].creator).put(
        _survey_url(funded["campaign"]), {"lock_at": _lock(), "questions": [question]}, format="json"
    )
    assert_error(response, 400, field="questions.0")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"answers": "Anna"}, "answers"),
        ({"answers": {"999999": "x"}}, "answers.999999"),
        ({"answers": {"x" * 5000: "x"}}, None),
        ({"address": {**GOOD_DE_ADDRESS, "postal_code": "1234"}}, "postal_code"),
        ({"address": {**GOOD_DE_ADDRESS, "name": "x" * 5000}}, "address"),
        ({"address": {**GOOD_DE_ADDRESS, "city": "Ber\x00lin"}}, "address"),
        ({"address": {**GOOD_DE_ADDRESS, "city": "Ber\x07lin"}}, "city"),
        ({"address": {**GOOD_DE_ADDRESS, "country": "ZZ"}}, "country"),
        ({"address": "Unter den Linden 1"}, "address"),
        ({"address": None}, "address"),
    ],
)
def test_bad_answers_are_a_400_and_nothing_is_kept(sent_survey, funded, payload, field):
    pledge = funded["pledges"]["vinyl"]
    ids = {q.prompt: str(q.pk) for q in sent_survey.questions.all()}
    good = {ids["Name for the credits"]: "Anna", ids["Vinyl colour"]: "Red"}
    body = {"answers": good, "address": GOOD_DE_ADDRESS, **payload}
    response = client_as(pledge.backer).put(f"/api/pledges/{pledge.pk}/survey/", body, format="json")
    assert_error(response, 400, field=field)
    assert not SurveyResponse.objects.exists()


def test_answers_after_the_lock_date_are_a_409(sent_survey, funded):
    Survey.objects.filter(pk=sent_survey.pk).update(lock_at=timezone.now() - timedelta(seconds=1))
    pledge = funded["pledges"]["digital"]
    response = client_as(pledge.backer).put(f"/api/pledges/{pledge.pk}/survey/", {"answers": {}}, format="json")
    assert_error(response, 409, code="survey_locked")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"status": "received"}, "status"),
        ({"status": "shipped", "carrier": "DHL"}, "tracking_number"),
        ({"status": "shipped", "carrier": "DHL", "tracking_number": "1" * 5000}, "tracking_number"),
        ({"status": "shipped", "carrier": "D\x00HL", "tracking_number": "1"}, "carrier"),
        ({"status": "shipped", "carrier": "@SUM(A1)", "tracking_number": "1"}, "carrier"),
        ({"status": "shipped", "carrier": "DHL", "tracking_number": "1", "tracking_url": "ftp://x"}, "tracking_url"),
    ],
)
def test_bad_fulfilment_input_is_a_400(funded, payload, field):
    pledge = funded["pledges"]["vinyl"]
    url = f"/api/campaigns/{funded['campaign'].pk}/fulfilment/{pledge.pk}/"
    assert_error(client_as(funded["campaign"].creator).patch(url, payload, format="json"), 400, field=field)
    assert not Fulfilment.objects.exclude(status="unfulfilled").exists()


def test_delivered_before_shipped_is_a_409(funded):
    pledge = funded["pledges"]["vinyl"]
    url = f"/api/campaigns/{funded['campaign'].pk}/fulfilment/{pledge.pk}/"
    response = client_as(funded["campaign"].creator).patch(url, {"status": "delivered"}, format="json")
    assert_error(response, 409, code="invalid_transition")
