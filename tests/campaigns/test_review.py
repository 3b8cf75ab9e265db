"""Review before launch (CAMPAIGN_REVIEW_REQUIRED): launch submits a draft, staff holding
campaigns.review_campaign approve it or ask for changes, the creator is told and launches once
approved. An approved draft that is edited needs a new review."""

import os
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.services import campaign_update
from community.models import CommunityMail
from community.services import community_mails_send
from devstack.__main__ import DEMO_DEFAULTS
from tests import factories
from tests.support.api import assert_error, client_as
from tests.support.fresh_process import settings_in_a_fresh_process

pytestmark = [pytest.mark.django_db, pytest.mark.review_required]


@pytest.fixture
def draft(creator):
    return factories.DraftCampaignFactory(creator=creator, title="Art book")


@pytest.fixture
def reviewer(db):
    return factories.StaffFactory(username="reviewer", permissions=("campaigns.review_campaign",))


def _launch(user, campaign):
    return client_as(user).post(f"/api/campaigns/{campaign.pk}/launch/")


def _decide(user, campaign, decision, message=""):
    return client_as(user).post(
        f"/api/campaigns/{campaign.pk}/review/", {"decision": decision, "message": message}, format="json"
    )


def test_launch_submits_the_draft_for_review_and_a_second_launch_says_it_is_pending(creator, draft):
    submitted = _launch(creator, draft)

    assert submitted.status_code == 202
    assert (submitted.json()["state"], submitted.json()["review_state"]) == ("draft", "pending")
    body = assert_error(_launch(creator, draft), 409, code="review_pending")
    assert "awaiting review" in body["detail"]


def test_staff_approve_and_the_creator_then_launches(creator, draft, reviewer):
    _launch(creator, draft)

    approved = _decide(reviewer, draft, "approve")
    launched = _launch(creator, draft)

    assert approved.status_code == 200 and approved.json()["review_state"] == "approved"
    assert launched.status_code == 200 and launched.json()["state"] == "live"
    draft.refresh_from_db()
    assert (draft.reviewed_by, draft.state) == (reviewer, Campaign.State.LIVE)


def test_the_creator_is_emailed_the_decision_and_the_requested_changes(creator, draft, reviewer):
    _launch(creator, draft)

    response = _decide(reviewer, draft, "changes", "Add a risks section.")
    mail.outbox.clear()
    community_mails_send()

    assert response.status_code == 200 and response.json()["review_state"] == "changes_requested"
    assert [(m.to, m.subject) for m in mail.outbox] == [(["creator@example.com"], "Changes asked for Art book")]
    assert "Add a risks section." in mail.outbox[0].body
    browser = Client()
    browser.force_login(creator)
    studio = browser.get(f"/studio/{draft.slug}/").text
    assert "Add a risks section." in studio and 'id="review-message"' in studio


def test_after_changes_are_asked_launch_submits_again(creator, draft, reviewer):
    _launch(creator, draft)
    _decide(reviewer, draft, "changes", "Fix the goal.")

    again = _launch(creator, draft)

    assert again.status_code == 202 and again.json()["review_state"] == "pending"


def test_asking_for_changes_needs_a_message(creator, draft, reviewer):
    _launch(creator, draft)

    assert_error(_decide(reviewer, draft, "changes", "  "), 400, code="invalid_review_message")
    draft.refresh_from_db()
    assert draft.review_state == Campaign.Review.PENDING


@pytest.mark.parametrize("who", ["creator", "staff_without_permission", "stranger"])
def test_only_staff_with_the_permission_decide(creator, draft, who):
    _launch(creator, draft)
    user = {
        "creator": creator,
        "staff_without_permission": factories.StaffFactory(permissions=("campaigns.change_campaign",)),
        "stranger": factories.UserFactory(),
    }[who]

    assert_error(_decide(user, draft, "approve"), 403)
    draft.refresh_from_db()
    assert draft.review_state == Campaign.Review.PENDING


def test_a_draft_not_submitted_cannot_be_decided(draft, reviewer):
    assert_error(_decide(reviewer, draft, "approve"), 409, code="not_awaiting_review")


def test_an_approved_draft_that_is_edited_needs_a_new_review(creator, draft, reviewer):
    _launch(creator, draft)
    _decide(reviewer, draft, "approve")

    campaign_update(campaign=draft, deadline=timezone.now() + timedelta(days=20))
    refused = _launch(creator, draft)

    assert refused.status_code == 202
    assert refused.json()["review_state"] == "pending"


def test_staff_see_the_queue_oldest_first(creator, reviewer):
    first = factories.DraftCampaignFactory(creator=creator, title="First")
    second = factories.DraftCampaignFactory(creator=factories.UserFactory(), title="Second")
    _launch(second.creator, second)
    _launch(creator, first)
    factories.DraftCampaignFactory(title="Not submitted")

    queue = client_as(reviewer).get("/api/reviews/")

    assert [row["title"] for row in queue.json()] == ["Second", "First"]
    assert_error(client_as(creator).get("/api/reviews/"), 403)
    page = Client()
    page.force_login(reviewer)
    html = page.get("/staff/reviews/").text
    assert html.index("Second") < html.index("First") and "Not submitted" not in html


def test_the_web_launch_says_the_draft_was_submitted(creator, draft):
    browser = Client()
    browser.force_login(creator)

    response = browser.post(f"/studio/{draft.slug}/launch/", follow=True)

    assert "submitted for review" in response.text
    draft.refresh_from_db()
    assert (draft.state, draft.review_state) == (Campaign.State.DRAFT, Campaign.Review.PENDING)
    again = browser.post(f"/studio/{draft.slug}/launch/")
    assert again.status_code == 400 and "awaiting review" in again.text


def test_a_staff_page_approval_reaches_the_creator(creator, draft, reviewer):
    _launch(creator, draft)
    page = Client()
    page.force_login(reviewer)

    page.post(f"/staff/reviews/{draft.slug}/", {"decision": "approve"})

    assert list(CommunityMail.objects.filter(recipient=creator).values_list("kind", flat=True)) == ["review_approved"]


def test_review_is_off_when_the_setting_is(settings, creator, draft):
    settings.CAMPAIGN_REVIEW_REQUIRED = False

    response = _launch(creator, draft)

    assert response.status_code == 200 and response.json()["state"] == "live"


def _setting_in_a_fresh_process(env: dict[str, str]) -> bool:
    base = {k: v for k, v in os.environ.items() if k != "CAMPAIGN_REVIEW_REQUIRED"}
    read = settings_in_a_fresh_process(["CAMPAIGN_REVIEW_REQUIRED"], {**base, **env})
    return read["CAMPAIGN_REVIEW_REQUIRED"]


def test_review_is_on_by_default_off_in_the_demo_and_the_environment_wins():
    demo = {**DEMO_DEFAULTS}  # what `make demo` starts with under an empty environment

    assert _setting_in_a_fresh_process({}) is True
    assert _setting_in_a_fresh_process({"CAMPAIGN_REVIEW_REQUIRED": demo["CAMPAIGN_REVIEW_REQUIRED"]}) is False
    assert _setting_in_a_fresh_process({"CAMPAIGN_REVIEW_REQUIRED": "1"}) is True
