"""Comments through the API: who may post (backers whose pledge stands, the creator), replies one
level deep, hiding by the creator and staff, reports, and bad input (huge, nested, control
characters, Markdown bombs, other campaigns' ids)."""

import time

import pytest
from django.core import mail

from community.models import Comment, CommunityMail, Report
from community.services import community_mails_send
from tests import factories
from tests.core.markdown_bombs import bombs
from tests.support.api import assert_error, client_as

pytestmark = pytest.mark.django_db


def _post(user, campaign, **data):
    return client_as(user).post(f"/api/campaigns/{campaign.pk}/comments/", data, format="json")


def test_a_backer_comments_and_the_creator_replies_marked_as_the_creator(campaign, backer, creator):
    asked = _post(backer, campaign, body="When do **records** ship?")
    assert asked.status_code == 201, asked.content
    question = asked.json()
    answered = _post(creator, campaign, body="In *June*.", parent=question["id"])

    assert answered.status_code == 201, answered.content
    listed = client_as(None).get(f"/api/campaigns/{campaign.pk}/comments/").json()
    assert [c["id"] for c in listed] == [question["id"]]
    assert listed[0]["body_html"] == "<p>When do <strong>records</strong> ship?</p>"
    assert listed[0]["by_creator"] is False and listed[0]["author"] == "backer"
    reply = listed[0]["replies"][0]
    assert (reply["author"], reply["by_creator"], reply["body_html"]) == ("creator", True, "<p>In <em>June</em>.</p>")


def test_the_creator_hears_of_a_comment_and_the_commenter_of_the_reply(campaign, backer, creator):
    question = _post(backer, campaign, body="Vinyl colour?").json()
    _post(creator, campaign, body="Black.", parent=question["id"])
    mail.outbox.clear()

    community_mails_send()

    assert sorted((m.to[0], m.subject) for m in mail.outbox) == [
        ("backer@example.com", "A reply to your comment on Art book"),
        ("creator@example.com", "New comment on Art book"),
    ]


def test_a_creator_who_chose_the_digest_gets_no_mail_per_comment(campaign, backer, creator):
    from community.services import comment_digests, comment_mail_mode_set

    comment_mail_mode_set(user=creator, mode="daily")
    _post(backer, campaign, body="One")

    assert not CommunityMail.objects.filter(recipient=creator, kind="comment_new").exists()
    assert comment_digests() == 1
    digest = CommunityMail.objects.get(recipient=creator, kind="comment_digest")
    assert digest.params == {"campaign_id": campaign.pk, "new_comments": 1}


def test_a_stranger_may_not_comment(campaign):
    response = _post(factories.UserFactory(), campaign, body="Hi")

    assert_error(response, 403, code="not_a_backer")
    assert not Comment.objects.exists()


def test_a_backer_whose_pledge_was_canceled_may_not_comment(campaign, canceled_backer):
    response = _post(canceled_backer, campaign, body="Hi")

    body = assert_error(response, 403, code="not_a_backer")
    assert "canceled" in body["detail"]


def test_signed_out_posting_is_refused(campaign):
    assert_error(_post(None, campaign, body="Hi"), 401)


def test_a_reply_to_another_campaigns_comment_is_refused(campaign, backer):
    other = factories.LiveCampaignFactory(title="Other")
    their_backer = factories.PledgeFactory(campaign=other).backer
    theirs = _post(their_backer, other, body="Elsewhere").json()

    response = _post(backer, campaign, body="Sneaky", parent=theirs["id"])

    assert_error(response, 400, code="invalid_parent")
    assert Comment.objects.filter(campaign=campaign).count() == 0


def test_a_reply_to_a_reply_joins_the_thread(campaign, backer, creator):
    first = _post(backer, campaign, body="a").json()
    second = _post(creator, campaign, body="b", parent=first["id"]).json()

    third = _post(backer, campaign, body="c", parent=second["id"]).json()

    assert third["parent"] == first["id"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("x" * 5001, "invalid"),
        ("   ", "invalid"),
        ("a\x00b", "invalid_comment"),
    ],
    ids=["huge", "blank", "nul"],
)
def test_bad_bodies_are_refused(campaign, backer, body, code):
    response = _post(backer, campaign, body=body)

    assert_error(response, 400)
    assert not Comment.objects.exists()


@pytest.mark.parametrize("name", sorted(bombs(5000)))
def test_markdown_bombs_render_quickly_and_safely(campaign, backer, name):
    body = bombs(5000)[name]
    started = time.monotonic()

    response = _post(backer, campaign, body=body)

    assert time.monotonic() - started < 2
    if "\x00" in body:  # PostgreSQL cannot store a NUL: refused whole, nothing written
        assert_error(response, 400)
        assert not Comment.objects.exists()
        return
    assert response.status_code == 201, response.content[:300]
    stored = Comment.objects.get(pk=response.json()["id"])
    assert "<script" not in stored.body_html


def test_html_and_scripts_are_sanitised(campaign, backer):
    response = _post(backer, campaign, body="[z](http://e.x) <script>alert(1)</script> [y](javascript:x)")

    html = Comment.objects.get(pk=response.json()["id"]).body_html
    assert "<script" not in html and "javascript:" not in html
    assert 'rel="noopener nofollow"' in html


def test_control_characters_stay_text(campaign, backer):
    response = _post(backer, campaign, body="bell\x07 and \u202eright-to-left")

    assert response.status_code == 201
    assert Comment.objects.get().body == "bell\x07 and \u202eright-to-left"


def test_the_creator_hides_a_comment_and_others_see_it_hidden(campaign, backer, creator):
    comment = _post(backer, campaign, body="rude").json()

    hidden = client_as(creator).post(f"/api/comments/{comment['id']}/hide/", {}, format="json")

    assert hidden.status_code == 200 and hidden.json()["hidden"] is True
    listed = client_as(None).get(f"/api/campaigns/{campaign.pk}/comments/").json()
    assert (listed[0]["hidden"], listed[0]["body_html"], listed[0]["author"]) == (True, "", None)


def test_staff_with_the_permission_hide_a_comment(campaign, backer, moderator):
    comment = _post(backer, campaign, body="spam").json()

    response = client_as(moderator).post(f"/api/comments/{comment['id']}/hide/", {}, format="json")

    assert response.status_code == 200
    assert Comment.objects.get(pk=comment["id"]).hidden_by == moderator


@pytest.mark.parametrize("who", ["backer", "other", "staff_without_permission"])
def test_others_may_not_hide_a_comment(campaign, backer, who):
    comment = _post(backer, campaign, body="fine").json()
    user = {
        "backer": backer,
        "other": factories.UserFactory(),
        "staff_without_permission": factories.StaffFactory(permissions=()),
    }[who]

    response = client_as(user).post(f"/api/comments/{comment['id']}/hide/", {}, format="json")

    assert_error(response, 403)
    assert Comment.objects.get(pk=comment["id"]).hidden_at is None


def test_a_creator_may_not_hide_comments_of_another_creators_campaign(campaign, backer):
    comment = _post(backer, campaign, body="fine").json()
    other_creator = factories.LiveCampaignFactory(title="Other").creator

    assert_error(client_as(other_creator).post(f"/api/comments/{comment['id']}/hide/", {}, format="json"), 403)


def test_anyone_signed_in_reports_a_comment_and_it_reaches_the_staff_queue(campaign, backer, moderator, client):
    comment = _post(backer, campaign, body="buy pills").json()
    stranger = factories.UserFactory()

    response = client_as(stranger).post(
        f"/api/comments/{comment['id']}/reports/", {"reason": "spam", "text": "an ad"}, format="json"
    )

    assert response.status_code == 201, response.content
    report = Report.objects.get()
    assert (report.comment_id, report.reporter, report.reason, report.text) == (
        comment["id"],
        stranger,
        "spam",
        "an ad",
    )
    admin = factories.StaffFactory(permissions=("community.view_report",))
    client.force_login(admin)
    queue = client.get("/admin/community/report/?open=yes")
    assert queue.status_code == 200 and f"report {report.pk}: comment {comment['id']}" in queue.text


def test_a_report_with_an_unknown_reason_is_refused(campaign, backer):
    comment = _post(backer, campaign, body="x").json()

    response = client_as(backer).post(f"/api/comments/{comment['id']}/reports/", {"reason": "meh"}, format="json")

    assert_error(response, 400, field="reason")


def test_a_report_of_a_missing_comment_is_404(campaign, backer):
    assert_error(client_as(backer).post("/api/comments/999999/reports/", {"reason": "spam"}, format="json"), 404)


def test_a_campaign_report_reaches_staff(campaign):
    reporter = factories.UserFactory()

    response = client_as(reporter).post(
        f"/api/campaigns/{campaign.pk}/reports/", {"reason": "fraud", "text": "not theirs"}, format="json"
    )

    assert response.status_code == 201
    assert Report.objects.get().comment is None


def test_comments_on_a_backers_only_update_are_for_backers(campaign, backer, creator):
    from updates.services import update_publish

    update = update_publish(campaign=campaign, author=creator, title="Secret", body="shh", audience="backers")
    posted = _post(backer, campaign, body="ok", update=update.pk)
    assert posted.status_code == 201

    assert client_as(backer).get(f"/api/campaigns/{campaign.pk}/comments/", {"update": update.pk}).status_code == 200
    assert_error(client_as(None).get(f"/api/campaigns/{campaign.pk}/comments/", {"update": update.pk}), 404)
    assert client_as(None).get(f"/api/campaigns/{campaign.pk}/comments/").json() == []


def test_a_comment_on_another_campaigns_update_is_refused(campaign, backer):
    from updates.services import update_publish

    other = factories.LiveCampaignFactory(title="Other")
    update = update_publish(campaign=other, author=other.creator, title="News", body="x")

    assert_error(_post(backer, campaign, body="x", update=update.pk), 400, code="invalid_update")
