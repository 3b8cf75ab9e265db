"""Pre-launch: a draft shown as "coming soon", "Notify me on launch", the count shown from 10
followers on, following a creator, and the launch e-mail to each follower exactly once."""

from collections import Counter

import pytest
from django.core import mail
from django.test import Client

from campaigns.services import campaign_coming_soon_set, campaign_launch
from community.models import CommunityMail, LaunchFollow
from community.services import community_mails_send, launch_follow
from community.tasks import fan_out_launch
from core.queue import queued
from tests import factories
from tests.support.api import assert_error, client_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(creator):
    return factories.DraftCampaignFactory(creator=creator, title="Art book")


def test_the_creator_publishes_a_coming_soon_page_anyone_can_see(creator, draft):
    assert Client().get(f"/soon/{draft.slug}/").status_code == 404

    response = client_as(creator).post(f"/api/campaigns/{draft.pk}/coming-soon/", {"public": True}, format="json")

    assert response.status_code == 200 and response.json()["coming_soon"] is True
    page = Client().get(f"/soon/{draft.slug}/")
    assert page.status_code == 200 and "Art book" in page.text and "Log in" in page.text
    assert Client().get(f"/campaigns/{draft.slug}/").status_code == 404  # not a live campaign's page


def test_only_the_creator_publishes_it(draft):
    stranger = factories.UserFactory()

    response = client_as(stranger).post(f"/api/campaigns/{draft.pk}/coming-soon/", {"public": True}, format="json")

    assert_error(response, 404)


def test_a_visitor_asks_to_be_notified(draft):
    draft = campaign_coming_soon_set(campaign=draft, public=True)
    visitor = factories.UserFactory()
    browser = Client()
    browser.force_login(visitor)

    browser.post(f"/soon/{draft.slug}/follow/")

    assert LaunchFollow.objects.filter(campaign=draft, user=visitor).count() == 1
    assert "We'll e-mail you when it launches." in browser.get(f"/soon/{draft.slug}/").text


def test_a_draft_not_shown_cannot_be_followed(draft):
    response = client_as(factories.UserFactory()).post(f"/api/campaigns/{draft.pk}/follow/")

    assert_error(response, 404)


@pytest.mark.parametrize(("followers", "shown"), [(9, False), (10, True)])
def test_the_follower_count_shows_from_ten_on(draft, followers, shown):
    draft = campaign_coming_soon_set(campaign=draft, public=True)
    for n in range(followers):
        launch_follow(user=factories.UserFactory(username=f"fan{n}"), campaign=draft)

    page = Client().get(f"/soon/{draft.slug}/").text

    assert ('id="follower-count"' in page) is shown
    if shown:
        assert "10 people are waiting for the launch." in page


def test_launch_enqueues_the_fan_out_after_the_commit(draft, django_capture_on_commit_callbacks):
    draft = campaign_coming_soon_set(campaign=draft, public=True)
    launch_follow(user=factories.UserFactory(), campaign=draft)

    with django_capture_on_commit_callbacks() as callbacks:
        campaign_launch(campaign=draft)

    assert ("community.tasks.fan_out_launch", (draft.pk,)) in queued(callbacks)


def test_each_follower_gets_the_launch_email_once_when_the_task_runs_again(creator, draft):
    draft = campaign_coming_soon_set(campaign=draft, public=True)
    fans = [factories.UserFactory(username=f"fan{n}") for n in range(3)]
    for fan in fans:
        launch_follow(user=fan, campaign=draft)
    creator_fan = factories.UserFactory(username="creatorfan")
    both = fans[0]
    client_as(creator_fan).post(f"/api/creators/{creator.username}/follow/")
    client_as(both).post(f"/api/creators/{creator.username}/follow/")
    campaign_launch(campaign=draft)
    mail.outbox.clear()

    first = fan_out_launch.run(draft.pk)  # the task, then a redelivered copy of it (acks_late)
    second = fan_out_launch.run(draft.pk)
    community_mails_send()
    community_mails_send()

    assert (first, second) == (4, 0)
    recipients = Counter(m.to[0] for m in mail.outbox if m.subject == "Art book has launched")
    assert recipients == Counter({f"{u.username}@example.com": 1 for u in [*fans, creator_fan]})
    assert CommunityMail.objects.filter(kind="campaign_launched").count() == 4


def test_a_creators_follower_hears_of_a_campaign_launched_without_a_coming_soon_page(creator):
    fan = factories.UserFactory(username="fan")
    client_as(fan).post(f"/api/creators/{creator.username}/follow/")
    campaign = factories.LiveCampaignFactory(creator=creator, title="Tour")

    assert fan_out_launch.run(campaign.pk) == 1
    mail.outbox.clear()
    community_mails_send()

    assert [(m.to, m.subject) for m in mail.outbox] == [(["fan@example.com"], "Tour has launched")]
    assert f"/campaigns/{campaign.slug}/" in mail.outbox[0].body


def test_following_yourself_is_refused(creator):
    assert_error(client_as(creator).post(f"/api/creators/{creator.username}/follow/"), 400, code="own_account")


def test_the_coming_soon_page_of_a_launched_campaign_leads_to_its_page(draft):
    draft = campaign_coming_soon_set(campaign=draft, public=True)
    campaign_launch(campaign=draft)

    response = Client().get(f"/soon/{draft.slug}/")

    assert response.status_code == 302 and response["Location"] == f"/campaigns/{draft.slug}/"
