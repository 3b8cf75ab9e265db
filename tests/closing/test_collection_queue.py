"""The collection sweep resends only messages that are really lost, and the fan-out sends each
pledge once, in chunks: counted message by message in the real broker's queues."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from closing.services import campaign_close, collection
from closing.tasks import collect_campaign, collection_sweep
from pledges.models import Charge, Pledge
from pledges.payments import RateLimited
from tests import factories
from tests.conftest import broker_messages, purge_queues
from tests.support.http import error_handler, http_server

pytestmark = pytest.mark.django_db

BACKERS = 12
COLLECT = "closing.tasks.collect_pledge"
FAN_OUT = "closing.tasks.collect_campaign"


@pytest.fixture(autouse=True)
def empty_queues():
    purge_queues()
    yield
    purge_queues()


def _collection_queue() -> list[tuple[str, tuple]]:
    """What waits in the collection queue; taken out, as a worker would."""
    messages = broker_messages("collection")
    purge_queues()
    return messages


@pytest.fixture
def funded():
    """A successful campaign of BACKERS active pledges, closed; its collect_campaign not run yet."""
    campaign = factories.LiveCampaignFactory(goal=Decimal("100.00"))
    pledges = [factories.PledgeFactory(campaign=campaign, amount="10.00") for _ in range(BACKERS)]
    factories.closed(campaign)
    campaign.refresh_from_db()
    return campaign, sorted(p.pk for p in pledges)


def test_the_sweep_leaves_waiting_collection_alone_and_resends_a_lost_message_once(funded, settings):
    campaign, pledge_ids = funded
    assert collect_campaign(campaign.pk) == BACKERS
    sent_at = Pledge.objects.get(pk=pledge_ids[0]).collection_enqueued_at
    assert _collection_queue() == [*[(COLLECT, (pk,)) for pk in pledge_ids], (FAN_OUT, (campaign.pk,))]
    assert collect_campaign(campaign.pk) == 0  # the fan-out's last step: nobody left
    assert _collection_queue() == []

    # The messages are waiting in the queue (a deep one, at 15 charges/s): not lost.
    assert collection_sweep()["requeued"] == 0
    with time_machine.travel(sent_at + settings.COLLECTION_LOST_AFTER - timedelta(seconds=1)):
        assert collection_sweep()["requeued"] == 0
    assert _collection_queue() == []

    # COLLECTION_LOST_AFTER later every pledge is still active: the messages were lost.
    with time_machine.travel(sent_at + settings.COLLECTION_LOST_AFTER + timedelta(seconds=1)):
        assert collection_sweep()["requeued"] == BACKERS
        assert collection_sweep()["requeued"] == 0  # the next pass finds them sent just now
        resent_at = timezone.now()
    assert _collection_queue() == [(COLLECT, (pk,)) for pk in pledge_ids]
    marks = set(Pledge.objects.filter(pk__in=pledge_ids).values_list("collection_enqueued_at", flat=True))
    assert len(marks) == 1  # marked together, by one UPDATE
    assert sent_at + settings.COLLECTION_LOST_AFTER < marks.pop() <= resent_at


def test_the_fan_out_sends_each_pledge_once_in_chunks_and_queues_behind_each_chunk(funded, settings):
    campaign, pledge_ids = funded
    settings.COLLECTION_CHUNK = 5

    assert collect_campaign(campaign.pk) == 5
    assert _collection_queue() == [*[(COLLECT, (pk,)) for pk in pledge_ids[:5]], (FAN_OUT, (campaign.pk,))]
    assert collect_campaign(campaign.pk) == 5
    assert _collection_queue() == [*[(COLLECT, (pk,)) for pk in pledge_ids[5:10]], (FAN_OUT, (campaign.pk,))]
    assert collect_campaign(campaign.pk) == 2
    assert _collection_queue() == [*[(COLLECT, (pk,)) for pk in pledge_ids[10:]], (FAN_OUT, (campaign.pk,))]
    assert collect_campaign(campaign.pk) == 0  # nobody left: the fan-out stops
    assert _collection_queue() == []
    # A duplicate collect_campaign message (a redelivery) sends nobody a second time.
    assert collect_campaign(campaign.pk) == 0
    assert _collection_queue() == []
    assert Pledge.objects.filter(pk__in=pledge_ids, collection_enqueued_at__isnull=True).count() == 0


def test_a_lost_fan_out_is_restarted_once_by_the_sweep(funded, settings):
    campaign, pledge_ids = funded
    settings.COLLECTION_CHUNK = 5
    # collect_campaign was lost (never ran): right after the close that is not yet known.
    assert collection_sweep()["restarted"] == 0
    assert _collection_queue() == []

    with time_machine.travel(campaign.closed_at + settings.COLLECTION_LOST_AFTER + timedelta(seconds=1)):
        assert collection_sweep()["restarted"] == 1
        assert collection_sweep()["restarted"] == 0  # its first chunk went out just now
    assert _collection_queue() == [*[(COLLECT, (pk,)) for pk in pledge_ids[:5]], (FAN_OUT, (campaign.pk,))]


def test_an_attempt_stuck_processing_is_resent_once_then_only_when_that_message_is_lost(funded, settings):
    campaign, pledge_ids = funded
    assert collect_campaign(campaign.pk) == BACKERS
    purge_queues()
    stuck = pledge_ids[0]
    with http_server(error_handler(429)) as busy:  # the provider did not answer: the attempt stays in flight
        localstripe, settings.STRIPE_API_BASE = settings.STRIPE_API_BASE, busy
        with pytest.raises(RateLimited):
            collection.pledge_collect(pledge_id=stuck)
        settings.STRIPE_API_BASE = localstripe
    charge = Charge.objects.get(pledge_id=stuck)
    assert charge.state == Charge.State.PROCESSING

    with time_machine.travel(charge.updated_at + settings.STALE_CHARGE_AFTER - timedelta(seconds=1)):
        assert collection_sweep()["requeued"] == 0
    with time_machine.travel(charge.updated_at + settings.STALE_CHARGE_AFTER + timedelta(seconds=1)):
        assert collection_sweep()["requeued"] == 1
        assert collection_sweep()["requeued"] == 0
        resent_at = timezone.now()
    assert _collection_queue() == [(COLLECT, (stuck,))]
    with time_machine.travel(resent_at + settings.COLLECTION_LOST_AFTER + timedelta(seconds=1)):
        # By now every pledge of the campaign counts as lost: each is sent once more.
        assert collection_sweep()["requeued"] == BACKERS
    assert _collection_queue() == [(COLLECT, (pk,)) for pk in pledge_ids]


def test_a_due_retry_of_an_errored_pledge_is_sent_once(django_capture_on_commit_callbacks, settings):
    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="10.00", card=factories.CARD_DECLINES_ON_CHARGE)
    factories.ended(campaign)
    with django_capture_on_commit_callbacks(execute=False):
        campaign_close(campaign_id=campaign.pk)
        collection.pledge_collect(pledge_id=pledge.pk)
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.ERRORED

    with time_machine.travel(pledge.next_retry_at + timedelta(seconds=1)):
        assert collection_sweep()["retried"] == 1
        assert collection_sweep()["retried"] == 0
    assert _collection_queue() == [(COLLECT, (pledge.pk,))]
    # The retry failed again: the next one is due 48 hours later, and sent once then.
    with django_capture_on_commit_callbacks(execute=False):
        collection.pledge_collect(pledge_id=pledge.pk, now=pledge.next_retry_at + timedelta(seconds=1))
    pledge.refresh_from_db()
    with time_machine.travel(pledge.next_retry_at + timedelta(seconds=1)):
        assert collection_sweep()["retried"] == 1
        assert collection_sweep()["retried"] == 0
    assert _collection_queue() == [(COLLECT, (pledge.pk,))]


@pytest.mark.django_db(transaction=True)
def test_a_second_fan_out_at_the_same_time_skips_the_pledges_the_first_holds(settings):
    campaign = factories.LiveCampaignFactory(goal=Decimal("100.00"))
    pledge_ids = sorted(factories.PledgeFactory(campaign=campaign, amount="10.00").pk for _ in range(BACKERS))
    factories.ended(campaign)
    campaign_close(campaign_id=campaign.pk)
    purge_queues()  # campaign_close committed: its collect_campaign went out; this test runs the steps
    held, free = pledge_ids[:3], pledge_ids[3:]
    locked, release = threading.Event(), threading.Event()

    def other_fan_out():  # another transaction holding three pledges' rows
        with transaction.atomic():
            list(Pledge.objects.select_for_update().filter(pk__in=held))
            locked.set()
            release.wait(timeout=30)
        connection.close()

    thread = threading.Thread(target=other_fan_out)
    thread.start()
    try:
        assert locked.wait(timeout=30)
        assert collect_campaign(campaign.pk) == len(free)
    finally:
        release.set()
        thread.join(timeout=30)
    assert _collection_queue() == [*[(COLLECT, (pk,)) for pk in free], (FAN_OUT, (campaign.pk,))]
    assert collect_campaign(campaign.pk) == len(held)  # the next step takes them, once free
    assert _collection_queue() == [*[(COLLECT, (pk,)) for pk in held], (FAN_OUT, (campaign.pk,))]
