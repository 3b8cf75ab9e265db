"""Comments on an update, on the web: each update has its own page with its thread, for those who
may read the update; the campaign page links to it with the number of comments."""

import pytest
from django.test import Client

from community.models import Comment
from tests import factories
from updates.services import update_publish

pytestmark = pytest.mark.django_db


def _as(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def campaign(creator):
    return factories.LiveCampaignFactory(creator=creator, title="Art book")


@pytest.fixture
def backer(campaign):
    return factories.PledgeFactory(campaign=campaign, backer=factories.UserFactory(username="backer")).backer


@pytest.fixture
def news(campaign, creator):
    return update_publish(campaign=campaign, author=creator, title="Printing starts", body="The **press** runs.")


def test_a_backer_comments_on_an_update_and_the_creator_replies_there(campaign, backer, creator, news):
    page = f"/campaigns/{campaign.slug}/updates/{news.number}/"
    assert "<strong>press</strong>" in _as(backer).get(page).text

    posted = _as(backer).post(f"/campaigns/{campaign.slug}/comments/", {"body": "Which paper?", "update": news.pk})
    question = Comment.objects.get()
    replied = _as(creator).post(
        f"/campaigns/{campaign.slug}/comments/", {"body": "Recycled.", "update": news.pk, "parent": question.pk}
    )

    assert posted.status_code == 302 and posted["Location"] == f"{page}#comment-{question.pk}"
    reply = Comment.objects.get(parent=question)
    assert replied["Location"] == f"{page}#comment-{reply.pk}"
    assert (question.update_id, reply.update_id, reply.by_creator) == (news.pk, news.pk, True)
    thread = _as(None).get(page).text
    assert "<p>Which paper?</p>" in thread and "<p>Recycled.</p>" in thread and "creator-badge" in thread
    campaign_page = _as(None).get(f"/campaigns/{campaign.slug}/").text
    assert "Which paper?" not in campaign_page  # the campaign's own thread stays its own
    assert f'href="{page}#comments" class="update-comments">2 comments' in campaign_page


def test_a_hidden_update_comment_stops_counting_and_hiding_returns_to_the_update(campaign, backer, creator, news):
    _as(backer).post(f"/campaigns/{campaign.slug}/comments/", {"body": "Spam spam", "update": news.pk})
    comment = Comment.objects.get()

    hidden = _as(creator).post(f"/comments/{comment.pk}/hide/", {"hidden": "1"})

    page = f"/campaigns/{campaign.slug}/updates/{news.number}/"
    assert hidden["Location"] == f"{page}#comment-{comment.pk}"
    assert "Spam spam" not in _as(None).get(page).text
    assert "0 comments" in _as(None).get(f"/campaigns/{campaign.slug}/").text


def test_a_backers_only_update_and_its_comments_are_for_backers(campaign, backer, creator):
    secret = update_publish(campaign=campaign, author=creator, title="Hush", body="Backers only.", audience="backers")
    page = f"/campaigns/{campaign.slug}/updates/{secret.number}/"

    assert _as(backer).get(page).status_code == 200
    assert _as(None).get(page).status_code == 404
    stranger = factories.UserFactory(username="stranger")
    assert _as(stranger).get(page).status_code == 404
    refused = _as(stranger).post(f"/campaigns/{campaign.slug}/comments/", {"body": "Let me in", "update": secret.pk})
    assert refused.status_code == 302 and not Comment.objects.exists()


def test_another_campaigns_update_or_a_missing_one_writes_nothing(campaign, backer):
    other = factories.LiveCampaignFactory(title="Other")
    theirs = update_publish(campaign=other, author=other.creator, title="Theirs", body="x")

    for update in (str(theirs.pk), "999999999", "not-a-number", "9" * 40):
        response = _as(backer).post(f"/campaigns/{campaign.slug}/comments/", {"body": "Hello", "update": update})
        assert response.status_code == 302, update
    assert not Comment.objects.exists()
    assert _as(backer).get(f"/campaigns/{campaign.slug}/updates/{theirs.number + 50}/").status_code == 404
