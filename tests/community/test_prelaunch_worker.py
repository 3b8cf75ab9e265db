"""The launch e-mail through a real worker: duplicated fan-out messages e-mail each follower once."""

from collections import Counter

import pytest

from campaigns.services import campaign_coming_soon_set, campaign_launch
from community.models import CommunityMail
from community.services import launch_follow
from community.tasks import fan_out_launch, send_community_mail
from tests import factories
from tests.conftest import wait_until
from tests.support.mail import messages_in

pytestmark = pytest.mark.celery


def test_followers_get_the_launch_email_once_though_the_fan_out_is_delivered_twice(celery_worker, worker_mail_dir):
    draft = factories.DraftCampaignFactory(title="Worker launch")
    draft = campaign_coming_soon_set(campaign=draft, public=True)
    fans = [factories.UserFactory(username=f"wfan{n}") for n in range(12)]
    for fan in fans:
        launch_follow(user=fan, campaign=draft)

    campaign_launch(campaign=draft)  # enqueues fan_out_launch on commit (no transaction: at once)
    fan_out_launch.delay(draft.pk)  # a duplicated message
    send_community_mail.delay()

    def all_sent() -> bool:
        rows = CommunityMail.objects.filter(kind="campaign_launched", params__campaign_id=draft.pk)
        return rows.count() == 12 and not rows.filter(sent_at__isnull=True).exists()

    wait_until(all_sent, timeout=60, message="the launch e-mails to be sent")
    fan_out_launch.delay(draft.pk)  # late duplicates change nothing
    send_community_mail.delay()
    wait_until(lambda: not CommunityMail.objects.filter(sent_at__isnull=True).exists(), timeout=30)

    messages = [m for m in messages_in(worker_mail_dir) if m["Subject"] == "Worker launch has launched"]
    assert Counter(m["To"] for m in messages) == Counter({f.email: 1 for f in fans})
