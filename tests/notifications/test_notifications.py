from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.signing import Signer
from django.utils import timezone, translation

from accounts.models import Unsubscription
from closing.services import campaign_close
from core.queue import queued
from core.unsubscribe import unsubscribe_token
from notifications.models import Notification, Reminder
from notifications.selectors import campaigns_ending_soon
from notifications.services import campaign_notification_fan_out, creator_digests, notifications_send
from pledges.services import pledge_cancel, pledge_update
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def kinds(user) -> list[str]:
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_pledge_confirmed_changed_and_canceled_each_notify_once():
    campaign = factories.LiveCampaignFactory(goal=Decimal("500"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="20")
    assert kinds(pledge.backer) == ["pledge_confirmed"]

    pledge_update(pledge=pledge, amount=Decimal("25"))
    pledge_update(pledge=pledge, amount=Decimal("25"))  # no change, no e-mail
    pledge_cancel(pledge=pledge)

    assert kinds(pledge.backer) == ["pledge_canceled", "pledge_changed", "pledge_confirmed"]
    mail.outbox.clear()
    assert notifications_send() == 3
    assert notifications_send() == 0
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == sorted(
        [
            f"You're a backer of {campaign.title}",
            f"Your pledge to {campaign.title} was changed",
            f"Your pledge to {campaign.title} was canceled",
        ]
    )
    assert all(m.to == [pledge.backer.email] and m.alternatives for m in mail.outbox)


def test_e_mails_show_amounts_in_the_campaign_s_currency():
    yen = factories.LiveCampaignFactory(goal=Decimal("100000"), currency="JPY")
    pledge = factories.PledgeFactory(campaign=yen, amount="3000")
    factories.PledgeFactory(campaign=yen, amount="1500")
    creator_digests()
    mail.outbox.clear()

    # E-mails are written in the site's language, whatever page the sending thread served last.
    with translation.override("de"):
        notifications_send()

    confirmed = next(m for m in mail.outbox if m.to == [pledge.backer.email])
    assert f"Thank you for backing {yen.title}: ¥3,000." in confirmed.body
    assert "¥3,000" in confirmed.alternatives[0].content
    digest = next(m for m in mail.outbox if m.to == [yen.creator.email])
    assert "2 new pledges worth ¥4,500." in digest.body
    assert all("JPY" not in m.body and "3000" not in m.body for m in mail.outbox)


def test_a_pending_pledge_is_confirmed_by_e_mail_only_once_its_card_is_saved():
    campaign = factories.LiveCampaignFactory()
    pending = factories.PledgeFactory(campaign=campaign, amount=Decimal("9"), card=None)

    assert kinds(pending.backer) == []


def test_funded_is_announced_once_to_the_creator_and_the_backers(django_capture_on_commit_callbacks):
    campaign = factories.LiveCampaignFactory(goal=Decimal("50"))
    first = factories.PledgeFactory(campaign=campaign, amount="30")
    with django_capture_on_commit_callbacks(execute=False) as crossing:
        second = factories.PledgeFactory(campaign=campaign, amount="30")
    with django_capture_on_commit_callbacks(execute=False) as after:
        third = factories.PledgeFactory(campaign=campaign, amount="30")

    funded = ("notifications.tasks.fan_out_campaign_notification", (campaign.pk, "campaign_funded"))
    assert funded in queued(crossing)
    assert funded not in queued(after)
    campaign_notification_fan_out(campaign_id=campaign.pk, kind="campaign_funded")
    campaign_notification_fan_out(campaign_id=campaign.pk, kind="campaign_funded")
    told = Notification.objects.filter(kind="campaign_funded").values_list("recipient", flat=True)
    # The creator and the three backers, each once.
    assert sorted(told) == sorted([campaign.creator_id, first.backer_id, second.backer_id, third.backer_id])
    mail.outbox.clear()
    notifications_send()
    assert sum("is funded" in m.subject for m in mail.outbox) == 4


@pytest.mark.parametrize(
    ("goal", "kind", "state"), [("10", "campaign_successful", "active"), ("1000", "campaign_failed", "released")]
)
def test_the_end_of_a_campaign_is_announced(goal, kind, state, django_capture_on_commit_callbacks):
    campaign = factories.LiveCampaignFactory(goal=Decimal(goal))
    pledge = factories.PledgeFactory(campaign=campaign, amount="20")
    factories.ended(campaign)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        campaign_close(campaign_id=campaign.pk)

    assert ("notifications.tasks.fan_out_campaign_notification", (campaign.pk, kind)) in queued(callbacks)
    assert campaign_notification_fan_out(campaign_id=campaign.pk, kind=kind) == 2
    assert kind in kinds(pledge.backer)
    assert kind in kinds(campaign.creator)


def test_ending_soon_reaches_backers_and_people_who_asked_to_be_reminded():
    campaign = factories.LiveCampaignFactory(days=3)
    backer = factories.PledgeFactory(campaign=campaign, amount="10").backer
    watcher = factories.UserFactory()
    response = client_for(watcher).post(f"/api/campaigns/{campaign.pk}/remind/")
    assert response.status_code == 200
    assert response.json() == {"campaign": campaign.pk, "reminded": True}
    assert client_for(watcher).post(f"/api/campaigns/{campaign.pk}/remind/").status_code == 200
    assert Reminder.objects.count() == 1

    assert campaigns_ending_soon() == []
    with time_machine.travel(campaign.deadline - timedelta(hours=47)):
        assert campaigns_ending_soon() == [campaign.pk]
        campaign_notification_fan_out(campaign_id=campaign.pk, kind="ending_soon")
        campaign_notification_fan_out(campaign_id=campaign.pk, kind="ending_soon")

    assert kinds(backer) == ["ending_soon", "pledge_confirmed"]
    assert kinds(watcher) == ["ending_soon"]
    assert Notification.objects.filter(kind="ending_soon").count() == 2


def test_reminders_can_be_cancelled_and_need_a_live_campaign():
    campaign = factories.LiveCampaignFactory()
    watcher = factories.UserFactory()
    client = client_for(watcher)
    client.post(f"/api/campaigns/{campaign.pk}/remind/")

    assert client.delete(f"/api/campaigns/{campaign.pk}/remind/").json()["reminded"] is False
    assert not Reminder.objects.exists()
    draft = factories.DraftCampaignFactory(creator=watcher)
    assert client.post(f"/api/campaigns/{draft.pk}/remind/").status_code == 409
    assert client_for(factories.UserFactory()).post(f"/api/campaigns/{draft.pk}/remind/").status_code == 404


def test_creators_get_one_daily_digest_of_new_pledges():
    campaign = factories.LiveCampaignFactory()
    factories.PledgeFactory(campaign=campaign, amount="10")
    factories.PledgeFactory(campaign=campaign, amount="15.50")
    quiet = factories.LiveCampaignFactory()

    assert creator_digests() == 1
    creator_digests()  # a second run the same day adds nothing
    assert Notification.objects.filter(kind="creator_digest").count() == 1
    digest = Notification.objects.get(kind="creator_digest")
    assert digest.recipient == campaign.creator
    assert digest.params["new_pledges"] == 2
    assert digest.params["new_total"] == "25.50"
    assert not Notification.objects.filter(kind="creator_digest", recipient=quiet.creator).exists()
    mail.outbox.clear()
    notifications_send()
    assert any("2 new pledges" in m.subject for m in mail.outbox)


def test_unsubscribing_from_platform_notifications_stops_them(client):
    campaign = factories.LiveCampaignFactory(goal=Decimal("500"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="20")
    token = unsubscribe_token(user_id=pledge.backer_id, campaign_id=None)

    page = client.get(f"/unsubscribe/{token}/")
    assert page.status_code == 200
    assert not Unsubscription.objects.exists()  # a GET (a link scanner) changes nothing
    assert client.post(f"/unsubscribe/{token}/").status_code == 200
    assert client.post(f"/unsubscribe/{token}/").status_code == 200

    mail.outbox.clear()
    assert notifications_send() == 0
    assert Notification.objects.get().sent_at is not None  # handled, not retried forever
    assert Unsubscription.objects.filter(user=pledge.backer, campaign__isnull=True).count() == 1


def test_unsubscribe_links_cannot_be_forged_or_retargeted(client):
    victim = factories.UserFactory()
    genuine = unsubscribe_token(user_id=factories.UserFactory().pk, campaign_id=None)
    forged = Signer(key="not-our-secret", salt="pledgeboard.unsubscribe").sign_object({"u": victim.pk, "c": None})
    tampered = genuine[:-3] + ("abc" if not genuine.endswith("abc") else "xyz")

    for token in (forged, tampered, "garbage"):
        assert client.post(f"/unsubscribe/{token}/").status_code == 400
    assert not Unsubscription.objects.exists()


def test_payment_failed_is_sent_again_for_each_failed_retry(django_capture_on_commit_callbacks):
    from closing.services import collection

    campaign = factories.LiveCampaignFactory(goal=Decimal("10"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="10", card=factories.CARD_DECLINES_ON_CHARGE)
    factories.ended(campaign)
    with django_capture_on_commit_callbacks(execute=False):
        campaign_close(campaign_id=campaign.pk)
        collection.pledge_collect(pledge_id=pledge.pk)
        collection.pledge_collect(pledge_id=pledge.pk, now=timezone.now() + timedelta(hours=48))

    assert kinds(pledge.backer).count("payment_failed") == 2
