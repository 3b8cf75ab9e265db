"""One lock order for every money move: creates, changes and cancels on one limited tier race
the close at the deadline, then collection, refunds and the provider's refund webhooks race
each other. Real threads, real PostgreSQL: no deadlock, no 500, exact totals and stock."""

import json
import random
import threading
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from campaigns.models import Campaign
from closing.services import campaign_close
from closing.services.collection import pledge_collect
from pledges.models import Charge, Pledge
from reports.reconcile import reconcile
from rewards.models import RewardTier
from tests import factories
from tests.closing.test_webhooks import sign
from tests.conftest import client_for

LIMIT = 5
EARLY_BACKERS = 8
LATE_BACKERS = 6
OPEN_FOR = 2.5  # seconds of pledging left when the threads start


def _thread(target, errors: list, *args):
    def run():
        try:
            target(*args)
        except Exception as error:  # a deadlock surfaces here as an OperationalError
            errors.append(repr(error))
        finally:
            connection.close()

    return threading.Thread(target=run)


@pytest.mark.django_db(transaction=True)
def test_money_moves_racing_each_other_never_deadlock_and_keep_exact_totals():
    random.seed(7)
    campaign = factories.LiveCampaignFactory(
        goal=Decimal("100.00"), rewards=[{"title": "Signed LP", "minimum": Decimal("30.00"), "limit": LIMIT}]
    )
    tier = campaign.rewards.get()
    early = _early_backers(campaign, tier)
    late = [(factories.UserFactory(), factories.payment_method()) for _ in range(LATE_BACKERS)]
    staff = factories.StaffFactory()
    Campaign.objects.filter(pk=campaign.pk).update(deadline=timezone.now() + timedelta(seconds=OPEN_FOR))
    statuses: list[int] = []
    errors: list[str] = []

    threads = [_thread(_keep_changing, errors, statuses, tier, b, p, i) for i, (b, p) in enumerate(early)]
    threads += [_thread(_pledge_late, errors, statuses, campaign, tier, b, c) for b, c in late]
    threads.append(_thread(_close_at_the_deadline, errors, campaign))
    _run_all(threads)
    assert errors == []
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SUCCESSFUL

    to_collect = list(Pledge.objects.filter(campaign=campaign, state=Pledge.State.ACTIVE).values_list("pk", flat=True))
    webhook = Client()
    threads = [_thread(_collect_then_refund, errors, statuses, staff, p, i % 2 == 0) for i, p in enumerate(to_collect)]
    threads += [
        _thread(_announce_refunds, errors, statuses, webhook, p) for i, p in enumerate(to_collect) if i % 2 == 0
    ]
    _run_all(threads)

    assert errors == []
    assert set(Counter(statuses)) <= {200, 201, 409}, Counter(statuses)
    pledges = Pledge.objects.filter(campaign=campaign)
    counted = pledges.filter(state__in=[Pledge.State.COLLECTED, Pledge.State.REFUNDED])
    campaign.refresh_from_db()
    assert counted.count() == len(to_collect) == campaign.backers_count
    assert campaign.pledged == sum(p.amount for p in counted)
    charges = Charge.objects.filter(pledge__campaign=campaign, state=Charge.State.SUCCEEDED)
    assert campaign.collected == sum(c.amount for c in charges) == campaign.pledged
    assert campaign.refunded == sum(c.refunded_amount for c in charges)
    refunded = [p for i, p in enumerate(to_collect) if i % 2 == 0]
    assert set(pledges.filter(state=Pledge.State.REFUNDED).values_list("pk", flat=True)) == set(refunded)
    assert campaign.refunded == sum(Pledge.objects.get(pk=pk).amount for pk in refunded)
    holding = pledges.filter(reward=tier).exclude(state__in=[Pledge.State.CANCELED, Pledge.State.RELEASED])
    assert RewardTier.objects.get(pk=tier.pk).claimed == holding.count() <= LIMIT
    assert reconcile(campaign_ids=[campaign.pk]) == []


def _early_backers(campaign, tier) -> list[tuple]:
    """(backer, pledge id) of the pledges made before the race: three of them hold the limited tier."""
    early = []
    for index in range(EARLY_BACKERS):
        backer = factories.UserFactory()
        body = {"campaign": campaign.pk, "amount": "40.00", "payment_method": factories.payment_method()}
        if index < 3:
            body["reward"] = tier.pk
        early.append((backer, client_for(backer).post("/api/pledges/", body, format="json").json()["id"]))
    return early


def _run_all(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


# --- first race: pledges change, cancel and arrive while the campaign closes ---------------


def _keep_changing(statuses: list, tier, backer, pledge_id, index):
    client = client_for(backer)
    for round_ in range(12):
        if index % 4 == 0 and round_ == 3:
            statuses.append(client.post(f"/api/pledges/{pledge_id}/cancel/").status_code)
            return
        change = {"amount": f"{35 + round_}.{index:02d}"}
        if index % 2:
            change["reward"] = tier.pk if round_ % 2 else None
        statuses.append(client.patch(f"/api/pledges/{pledge_id}/", change, format="json").status_code)
        time.sleep(random.uniform(0.05, 0.3))


def _pledge_late(statuses: list, campaign, tier, backer, card):
    time.sleep(random.uniform(0, OPEN_FOR + 0.5))
    body = {"campaign": campaign.pk, "reward": tier.pk, "amount": "31.00", "payment_method": card}
    statuses.append(client_for(backer).post("/api/pledges/", body, format="json").status_code)


def _close_at_the_deadline(campaign):
    deadline = time.monotonic() + OPEN_FOR + 10
    while campaign_close(campaign_id=campaign.pk) is None:
        assert time.monotonic() < deadline, "the campaign never closed"
        time.sleep(0.05)


# --- second race: collection, staff refunds and the provider's refund webhooks -------------


def _collect_then_refund(statuses: list, staff, pledge_id, refund):
    pledge_collect(pledge_id=pledge_id)
    if refund:
        statuses.append(client_for(staff).post(f"/api/pledges/{pledge_id}/refund/").status_code)


def _announce_refunds(statuses: list, webhook: Client, pledge_id):
    for attempt in range(20):
        charge = Charge.objects.filter(pledge_id=pledge_id, state=Charge.State.SUCCEEDED).first()
        if charge is not None:
            body = {
                "id": f"evt_refund_{pledge_id}_{attempt}",
                "type": "charge.refunded",
                "data": {"object": {"id": "ch_x", "payment_intent": charge.payment_intent_id}},
            }
            payload = json.dumps(body).encode()
            response = webhook.post(
                "/api/webhooks/stripe/", payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload)
            )
            statuses.append(response.status_code)
        time.sleep(0.05)
