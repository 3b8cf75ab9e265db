"""A provider that answers 429 or not at all, and the request budget shared by all workers."""

import threading
from collections import Counter
from decimal import Decimal

import pytest

from closing.services import collection
from pledges.models import Charge, Pledge
from pledges.payments import RateLimited, get_gateway, ratelimit
from pledges.payments.ratelimit import acquire_stripe_slot
from tests import factories
from tests.support.http import error_handler, http_server
from tests.support.payments import flush_localstripe, succeeded_payment_intents


@pytest.mark.django_db
def test_a_429_leaves_the_attempt_in_flight_and_the_retry_charges_once(settings):
    flush_localstripe(get_gateway())  # the retry lists every PaymentIntent: keep localstripe's store small
    campaign = factories.LiveCampaignFactory(goal=Decimal("10"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="10")
    factories.closed(campaign)
    localstripe = settings.STRIPE_API_BASE

    with http_server(error_handler(429)) as busy:
        settings.STRIPE_API_BASE = busy
        with pytest.raises(RateLimited):
            collection.pledge_collect(pledge_id=pledge.pk)

    charge = Charge.objects.get(pledge=pledge)
    assert charge.state == Charge.State.PROCESSING
    assert charge.submitted_at is not None  # it may have reached Stripe: the retry looks first
    settings.STRIPE_API_BASE = localstripe
    assert collection.pledge_collect(pledge_id=pledge.pk).state == Charge.State.SUCCEEDED
    assert Charge.objects.filter(pledge=pledge).count() == 1
    assert len(succeeded_payment_intents(get_gateway(), pledge.stripe_customer_id, pledge.pk)) == 1
    assert Pledge.objects.get(pk=pledge.pk).state == Pledge.State.COLLECTED


def test_the_shared_budget_never_lets_more_than_the_limit_through_in_a_second(settings, monkeypatch):
    limit, calls = 4, 14
    seconds: list[int] = []
    lock = threading.Lock()
    count_hit = ratelimit.count_hit

    def recording(key, window_seconds, **kwargs):
        # The second a slot is granted in is the one its counter names (pledgeboard:stripe-rate:<second>),
        # not the clock after the grant: a thread slowed down by a loaded machine would book it late.
        hits = count_hit(key, window_seconds, **kwargs)
        if hits <= limit:
            with lock:
                seconds.append(int(key.rpartition(":")[2]))
        return hits

    monkeypatch.setattr(ratelimit, "count_hit", recording)

    def worker(count: int):
        for _ in range(count):
            acquire_stripe_slot(limit=limit, timeout=10)

    threads = [threading.Thread(target=worker, args=(n,)) for n in (5, 5, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    per_second = Counter(seconds)
    assert sum(per_second.values()) == calls
    assert max(per_second.values()) <= limit
    assert len(per_second) >= calls // limit  # 14 calls at 4/s span at least 4 distinct seconds
