"""The community in Debian's Chromium, against the real localstripe, review before launch on.

A creator publishes a coming-soon page; a visitor asks to be notified; the creator submits the
draft, staff approve it, the creator launches; the visitor gets the launch e-mail and pledges
through the creator's ?ref= link; the studio counts the pledge under that tag. The backer
comments, the creator replies, someone reports the comment, staff see the report and hide it.
axe runs on every page (check_page).
"""

from decimal import Decimal

import pytest
from django.core import mail

from campaigns.models import Campaign
from community.models import Comment, Report
from community.services import community_mails_send
from community.tasks import fan_out_launch
from pledges.models import Pledge
from tests import factories
from tests.web.conftest import CARD_SUCCEEDS, PASSWORD, check_page, fill_card, link_in, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.review_required]

TITLE = "Songs for a Lighthouse"


def test_coming_soon_review_launch_referral_and_comments(new_person, live_server):
    base = live_server.url
    creator = factories.UserFactory(username="maya", email="maya@example.com", password=PASSWORD)
    factories.UserFactory(username="vic", email="vic@example.com", password=PASSWORD)
    factories.UserFactory(username="rex", email="rex@example.com", password=PASSWORD)
    factories.StaffFactory(
        username="sam",
        password=PASSWORD,
        permissions=(
            "campaigns.review_campaign",
            "community.view_report",
            "community.change_report",
            "community.change_comment",
        ),
    )
    draft = factories.DraftCampaignFactory(creator=creator, title=TITLE, goal=Decimal("500.00"))
    factories.RewardTierFactory(campaign=draft, title="Digital album", minimum=Decimal("25.00"))

    # The creator publishes the draft as coming soon.
    maya = new_person()
    log_in(maya, base, "maya", f"/studio/{draft.slug}/")
    maya.get_by_role("button", name="Publish as coming soon").click()
    maya.get_by_text("Your coming-soon page is public.").wait_for()
    check_page(maya, "community-studio-coming-soon")

    # A visitor asks to be notified at launch.
    vic = new_person()
    log_in(vic, base, "vic", f"/soon/{draft.slug}/")
    check_page(vic, "community-coming-soon")
    vic.get_by_role("button", name="Notify me on launch").click()
    vic.get_by_text("We'll e-mail you when this campaign launches.").wait_for()
    check_page(vic, "community-coming-soon-following")

    # Launch submits it for review; staff approve it; the creator launches.
    maya.get_by_role("button", name="Submit for review").click()
    maya.get_by_text("Your campaign is submitted for review.").wait_for()
    sam = new_person()
    log_in(sam, base, "sam", "/staff/reviews/")
    check_page(sam, "community-review-queue")
    sam.get_by_role("button", name=f"Approve {TITLE}").click()
    sam.get_by_text("is approved; its creator can launch it.").wait_for()
    assert sam.locator("#no-reviews").count() == 1

    maya.goto(f"{base}/studio/{draft.slug}/")
    maya.get_by_text("Approved by our staff: you can launch it now.").wait_for()
    check_page(maya, "community-studio-approved")
    maya.get_by_role("button", name="Launch").click()
    maya.get_by_text("Your campaign is live.").wait_for()
    assert Campaign.objects.get(pk=draft.pk).state == Campaign.State.LIVE

    # The worker's part: the launch e-mail to each follower.
    mail.outbox.clear()
    fan_out_launch.run(draft.pk)
    community_mails_send()
    (launch_mail,) = [m for m in mail.outbox if m.to == ["vic@example.com"]]
    assert launch_mail.subject == f"{TITLE} has launched"

    # The creator makes a tag; the visitor pledges through the tagged link.
    maya.get_by_label("New tag (lower-case letters, digits, - and _)").fill("podcast")
    maya.get_by_role("button", name="Add the tag").click()
    maya.get_by_text("The tag is ready").wait_for()
    vic.goto(link_in(launch_mail.body, f"/campaigns/{draft.slug}/") + "?ref=podcast")
    vic.get_by_role("link", name="Pledge $25.00 or more (Digital album)").click()
    vic.get_by_role("button", name="Continue to payment").click()
    vic.get_by_role("heading", name="Save your card").wait_for()
    fill_card(vic, CARD_SUCCEEDS)
    vic.get_by_role("button", name="Confirm my pledge").click()
    vic.get_by_role("heading", name=f"You're a backer of {TITLE}!").wait_for()
    assert Pledge.objects.get(campaign=draft, backer__username="vic").state == Pledge.State.ACTIVE

    maya.goto(f"{base}/studio/{draft.slug}/")
    row = maya.locator('#referral-table tr[data-source="tag:podcast"]')
    assert (row.locator(".pledges").inner_text(), row.locator(".amount").inner_text()) == ("1", "$25.00")
    check_page(maya, "community-studio-referrals")

    # The backer comments; the creator replies, marked as the creator.
    vic.goto(f"{base}/campaigns/{draft.slug}/")
    vic.get_by_label("Your comment (Markdown)").fill("Will there be **vinyl**?")
    vic.get_by_role("button", name="Post comment").click()
    vic.get_by_text("Your comment is posted.").wait_for()
    check_page(vic, "community-comment")
    comment = Comment.objects.get(author__username="vic")

    maya.goto(f"{base}/campaigns/{draft.slug}/")
    maya.locator(".reply-box summary").click()
    maya.get_by_label("Your reply (Markdown)").fill("Yes, in *spring*.")
    maya.get_by_role("button", name="Post reply").click()
    maya.get_by_text("Your comment is posted.").wait_for()
    reply = maya.locator(".reply .comment").first
    assert reply.locator(".creator-badge").inner_text() == "Creator"
    assert reply.locator(".comment-body em").inner_text() == "spring"
    check_page(maya, "community-reply")

    # Someone reports the comment; it reaches the staff's queue; staff hide it.
    rex = new_person()
    log_in(rex, base, "rex", f"/campaigns/{draft.slug}/")
    rex.locator(f"#comment-{comment.pk}").get_by_role("link", name="Report this comment").click()
    check_page(rex, "community-report")
    rex.get_by_label("Spam").check()
    rex.get_by_label("What should our staff know? (optional)").fill("Looks like an ad.")
    rex.get_by_role("button", name="Send the report").click()
    rex.get_by_text("Thank you: our staff will look at your report.").wait_for()
    report = Report.objects.get(comment=comment)

    sam.goto(f"{base}/admin/community/report/?open=yes")
    sam.get_by_text(f"report {report.pk}: comment {comment.pk}").wait_for()
    sam.goto(f"{base}/campaigns/{draft.slug}/")
    sam.locator(f"#comment-{comment.pk}").get_by_role("button", name="Hide this comment").click()
    sam.get_by_text("The comment is hidden.").wait_for()
    check_page(sam, "community-comment-hidden")
    assert Comment.objects.get(pk=comment.pk).hidden_by.username == "sam"
    rex.goto(f"{base}/campaigns/{draft.slug}/")
    assert "This comment was hidden." in rex.locator(f"#comment-{comment.pk}").inner_text()
    assert rex.locator(f"#comment-{comment.pk} .comment-body").count() == 0
