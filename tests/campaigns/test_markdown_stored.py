"""Creators' Markdown is rendered once, when it is saved: pages, API reads and e-mails show the stored
HTML whatever was written (issue 18: a 1 KB nested list made the campaign page answer 500, 6 KB of
"[" took 13 s a view), and no path stores more than its field's limit."""

import json
from decimal import Decimal
from unittest import mock

import nh3
import pytest
from django.core import mail
from django.test import Client

from campaigns.models import Campaign
from campaigns.services import campaign_create, campaign_update
from core.errors import InvalidInput
from tests import factories
from tests.core.markdown_bombs import bombs
from tests.support.api import assert_error, client_as
from updates.models import CampaignUpdate
from updates.services import update_deliveries_create, update_deliveries_send, update_edit, update_publish

pytestmark = pytest.mark.django_db

STORY_LIMIT = Campaign.DESCRIPTION_MAX_LENGTH
BODY_LIMIT = CampaignUpdate.BODY_MAX_LENGTH
# NUL cannot be stored (every path refuses it, tested below); the other control characters can.
STORY_BOMBS = {name: text.replace("\x00", "") for name, text in bombs(STORY_LIMIT).items()}
BODY_BOMBS = {name: text.replace("\x00", "") for name, text in bombs(BODY_LIMIT).items()}
TOO_LONG_FOR_THE_FORM = "Ensure this value has at most %d characters (it has %d)."
STORY = "# Why\n\nA *notebook* for the marsh.\n\n## How\n\n- paper\n- ink"
UPDATE = "# Proofs are in\n\nThe **printer** called."


@pytest.fixture
def renders():
    """Every render ends in the sanitiser, the old renderer's as the new one's: its calls count renders."""
    with mock.patch("nh3.clean", wraps=nh3.clean) as sanitiser:
        yield sanitiser


def _browser(user=None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def _published(*, story: str, update: str):
    creator = factories.UserFactory()
    campaign = factories.LiveCampaignFactory(creator=creator, description=story)
    news = update_publish(campaign=campaign, author=creator, title="News", body=update)
    backer = factories.PledgeFactory(campaign=campaign, amount="10.00").backer
    update_deliveries_create(update_id=news.pk)
    return campaign, news, backer


def _every_read(campaign: Campaign, update: CampaignUpdate, backer) -> dict:
    creator = campaign.creator
    return {
        "page, anonymous": _browser().get(f"/campaigns/{campaign.slug}/"),
        "page, anonymous, query string (no page cache)": _browser().get(f"/campaigns/{campaign.slug}/?ref=x"),
        "page, a backer": _browser(backer).get(f"/campaigns/{campaign.slug}/"),
        "studio dashboard": _browser(creator).get(f"/studio/{campaign.slug}/"),
        "studio edit page": _browser(creator).get(f"/studio/{campaign.slug}/edit/"),
        "studio update edit page": _browser(creator).get(f"/studio/{campaign.slug}/updates/{update.number}/"),
        "API detail": client_as(None).get(f"/api/campaigns/{campaign.pk}/"),
        "API updates": client_as(None).get(f"/api/campaigns/{campaign.pk}/updates/"),
        "API update": client_as(backer).get(f"/api/campaigns/{campaign.pk}/updates/{update.pk}/"),
    }


def test_pages_api_reads_and_emails_show_the_stored_html_and_render_nothing(renders):
    campaign, update, backer = _published(story=STORY, update=UPDATE)
    renders.reset_mock()

    reads = _every_read(campaign, update, backer)
    mail.outbox.clear()
    sent = update_deliveries_send(update_id=update.pk)

    assert {name: response.status_code for name, response in reads.items()} == dict.fromkeys(reads, 200)
    assert sent == 1
    assert renders.call_count == 0
    page = reads["page, anonymous, query string (no page cache)"].text
    assert '<div class="story"><h3>Why</h3>\n<p>A <em>notebook</em> for the marsh.</p>\n<h4>How</h4>' in page
    assert "<h4>Proofs are in</h4>\n<p>The <strong>printer</strong> called.</p>" in page
    assert reads["API updates"].json()["results"][0]["body_html"] == (
        "<h1>Proofs are in</h1>\n<p>The <strong>printer</strong> called.</p>"
    )
    assert "<h1>Proofs are in</h1>\n<p>The <strong>printer</strong> called.</p>" in mail.outbox[0].alternatives[0][0]


def test_a_changed_story_or_update_is_stored_rendered_again():
    campaign, update, _backer = _published(story=STORY, update=UPDATE)

    campaign_update(campaign=campaign, description="Now *shorter*.")
    update_edit(update=update, body="Fixed **typo**.")

    campaign.refresh_from_db()
    update.refresh_from_db()
    assert campaign.description_html == "<p>Now <em>shorter</em>.</p>"
    assert update.body_html == "<p>Fixed <strong>typo</strong>.</p>"


@pytest.mark.parametrize("name", STORY_BOMBS)
def test_with_a_pathological_story_and_update_saved_every_page_read_and_email_answers(name):
    campaign, update, backer = _published(story=STORY_BOMBS[name], update=BODY_BOMBS[name])

    reads = _every_read(campaign, update, backer)
    mail.outbox.clear()
    sent = update_deliveries_send(update_id=update.pk)

    assert {read: response.status_code for read, response in reads.items()} == dict.fromkeys(reads, 200)
    assert sent == 1
    assert CampaignUpdate.objects.get(pk=update.pk).body_html in mail.outbox[0].alternatives[0][0]


@pytest.mark.parametrize("name", ["10,000+ [", "nested blockquotes >>>", "wide table", "NUL and control characters"])
def test_the_studio_previews_a_pathological_story_of_the_largest_size_once(name, renders):
    creator = factories.UserFactory()
    campaign = factories.DraftCampaignFactory(creator=creator)
    renders.reset_mock()

    preview = _browser(creator).post(
        f"/studio/{campaign.slug}/edit/", {"title": "Atlas", "description": STORY_BOMBS[name], "preview": "1"}
    )

    assert preview.status_code == 200
    assert 'id="story-preview"' in preview.text
    assert renders.call_count == 1


def test_the_studio_previews_no_more_than_a_save_would_store(renders):
    creator = factories.UserFactory()
    campaign = factories.DraftCampaignFactory(creator=creator)
    renders.reset_mock()

    preview = _browser(creator).post(
        f"/studio/{campaign.slug}/edit/", {"title": "Atlas", "description": "[" * (STORY_LIMIT + 1), "preview": "1"}
    )

    assert preview.status_code == 400
    assert "description is too long: at most 50000 characters, this one has 50001." in preview.text
    assert 'id="story-preview"' not in preview.text
    assert renders.call_count == 0


# --- one limit per field, on every path ----------------------------------------------------------------


def test_the_api_refuses_an_over_long_story_and_keeps_the_old_one(creator):
    campaign = factories.DraftCampaignFactory(creator=creator, description="Before.")
    body = {"title": "Atlas", "goal": "100.00", "currency": "EUR", "description": "a" * (STORY_LIMIT + 1)}

    created = client_as(creator).post("/api/campaigns/", body, format="json")
    patched = client_as(creator).patch(
        f"/api/campaigns/{campaign.pk}/", {"description": body["description"]}, format="json"
    )

    assert_error(created, 400, field="description")
    assert_error(patched, 400, field="description")
    assert list(Campaign.objects.values_list("description", "description_html")) == [("Before.", "<p>Before.</p>")]


@pytest.mark.parametrize("story", ["a\x00b", "a\ud800b"])
def test_the_api_refuses_a_story_postgresql_cannot_store_with_a_400(creator, story):
    # JSON carries both as \u escapes
    body = json.dumps({"title": "Atlas", "goal": "100.00", "currency": "EUR", "description": story})

    response = client_as(creator).post("/api/campaigns/", body, content_type="application/json")

    assert_error(response, 400)
    assert not Campaign.objects.exists()


def test_the_api_refuses_an_over_long_update_and_keeps_the_old_one():
    campaign, update, _backer = _published(story=STORY, update=UPDATE)
    client = client_as(campaign.creator)

    posted = client.post(
        f"/api/campaigns/{campaign.pk}/updates/", {"title": "More", "body": "a" * (BODY_LIMIT + 1)}, format="json"
    )
    patched = client.patch(
        f"/api/campaigns/{campaign.pk}/updates/{update.pk}/", {"body": "a" * (BODY_LIMIT + 1)}, format="json"
    )

    assert_error(posted, 400, field="body")
    assert_error(patched, 400, field="body")
    assert list(CampaignUpdate.objects.values_list("body", flat=True)) == [UPDATE]


def test_the_api_takes_an_update_of_the_largest_size():
    campaign, _update, _backer = _published(story=STORY, update=UPDATE)

    posted = client_as(campaign.creator).post(
        f"/api/campaigns/{campaign.pk}/updates/", {"title": "More", "body": "b" * BODY_LIMIT}, format="json"
    )

    assert posted.status_code == 201
    assert posted.json()["body_html"] == f"<p>{'b' * BODY_LIMIT}</p>"


def _form_error(page, field: str, form: str = "form") -> str:
    return str(page.context[form].errors[field][0])


def test_the_studio_refuses_an_over_long_story_with_a_form_error():
    creator = factories.UserFactory()
    campaign = factories.DraftCampaignFactory(creator=creator, description="Before.")
    form = {"title": "Atlas", "goal": "100.00", "currency": "USD", "funding_model": "all_or_nothing"}
    too_long = "a" * (STORY_LIMIT + 1)

    created = _browser(creator).post("/studio/new/", {**form, "description": too_long})
    edited = _browser(creator).post(f"/studio/{campaign.slug}/edit/", {**form, "description": too_long})

    assert created.status_code == edited.status_code == 400
    assert _form_error(created, "description") == TOO_LONG_FOR_THE_FORM % (STORY_LIMIT, STORY_LIMIT + 1)
    assert _form_error(edited, "description") == TOO_LONG_FOR_THE_FORM % (STORY_LIMIT, STORY_LIMIT + 1)
    assert list(Campaign.objects.values_list("description", flat=True)) == ["Before."]


def test_the_studio_refuses_an_over_long_update_with_a_form_error():
    campaign, update, _backer = _published(story=STORY, update=UPDATE)
    creator = campaign.creator
    too_long = "a" * (BODY_LIMIT + 1)

    posted = _browser(creator).post(
        f"/studio/{campaign.slug}/updates/", {"title": "More", "body": too_long, "audience": "public"}
    )
    edited = _browser(creator).post(
        f"/studio/{campaign.slug}/updates/{update.number}/", {"title": "News", "body": too_long}
    )

    assert posted.status_code == edited.status_code == 400
    assert _form_error(posted, "body", form="update_form") == TOO_LONG_FOR_THE_FORM % (BODY_LIMIT, BODY_LIMIT + 1)
    assert _form_error(edited, "body") == TOO_LONG_FOR_THE_FORM % (BODY_LIMIT, BODY_LIMIT + 1)
    assert list(CampaignUpdate.objects.values_list("body", flat=True)) == [UPDATE]


def test_the_admin_refuses_an_over_long_story_with_a_form_error(admin_client):
    campaign = factories.LiveCampaignFactory(description="Before.")

    response = admin_client.post(
        f"/admin/campaigns/campaign/{campaign.pk}/change/",
        {
            "title": campaign.title,
            "description": "a" * (STORY_LIMIT + 1),
            "rewards-TOTAL_FORMS": "0",
            "rewards-INITIAL_FORMS": "0",
            "rewards-MIN_NUM_FORMS": "0",
            "rewards-MAX_NUM_FORMS": "1000",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["description"] == [
        TOO_LONG_FOR_THE_FORM % (STORY_LIMIT, STORY_LIMIT + 1)
    ]
    campaign.refresh_from_db()
    assert (campaign.description, campaign.description_html) == ("Before.", "<p>Before.</p>")


def test_the_admin_stores_a_changed_story_rendered(admin_client):
    campaign = factories.LiveCampaignFactory(description="Before.")

    response = admin_client.post(
        f"/admin/campaigns/campaign/{campaign.pk}/change/",
        {
            "title": campaign.title,
            "description": "After, *in italics*.",
            "rewards-TOTAL_FORMS": "0",
            "rewards-INITIAL_FORMS": "0",
            "rewards-MIN_NUM_FORMS": "0",
            "rewards-MAX_NUM_FORMS": "1000",
        },
    )

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.description_html == "<p>After, <em>in italics</em>.</p>"


@pytest.mark.parametrize("text", ["a" * (STORY_LIMIT + 1), "a\x00b"])
def test_the_campaign_services_refuse_what_no_path_may_store(creator, text):
    campaign = factories.DraftCampaignFactory(creator=creator, description="Before.")

    with pytest.raises(InvalidInput) as created:
        campaign_create(creator=creator, title="Atlas", goal=Decimal("100.00"), currency="USD", description=text)
    with pytest.raises(InvalidInput) as updated:
        campaign_update(campaign=campaign, description=text)

    assert created.value.code == updated.value.code == "invalid_description"
    assert list(Campaign.objects.values_list("description", flat=True)) == ["Before."]


@pytest.mark.parametrize("text", ["a" * (BODY_LIMIT + 1), "a\x00b"])
def test_the_update_services_refuse_what_no_path_may_store(text):
    campaign, update, _backer = _published(story=STORY, update=UPDATE)

    with pytest.raises(InvalidInput) as published:
        update_publish(campaign=campaign, author=campaign.creator, title="More", body=text)
    with pytest.raises(InvalidInput) as edited:
        update_edit(update=update, body=text)

    assert published.value.code == edited.value.code == "invalid_body"
    assert list(CampaignUpdate.objects.values_list("body", flat=True)) == [UPDATE]
