"""A backer report of 50,000 pledges streams in memory that does not grow with its size.

The pledges are rows written with COPY (test data for a read path; making 100k through
Stripe would take half an hour). Peak memory is Python's, traced by tracemalloc, while
the whole streamed response is consumed; figures for the README come from
bench/report_memory.py.
"""

import time
import tracemalloc
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from core.bulk import copy_insert, reserve_ids
from pledges.models import Pledge
from tests import factories
from tests.conftest import client_for

MB = 1024 * 1024
User = get_user_model()


def bulk_pledges(campaign, user_ids, tier) -> None:
    now = timezone.now()
    states = (Pledge.State.COLLECTED, Pledge.State.COLLECTED, Pledge.State.ERRORED, Pledge.State.REFUNDED)
    ids = reserve_ids(Pledge, len(user_ids))
    copy_insert(
        Pledge,
        (
            {
                "id": pledge_id,
                "backer_id": user_id,
                "campaign_id": campaign.pk,
                "reward_id": tier.pk if i % 2 else None,
                "amount": Decimal("25.00") + i % 100,
                "state": states[i % 4],
                "activated_at": now,
                "collected_at": now if i % 4 != 2 else None,
                "created_at": now,
                "updated_at": now,
            }
            for i, (pledge_id, user_id) in enumerate(zip(ids, user_ids, strict=True))
        ),
    )


def bulk_users(count: int) -> list[int]:
    ids = reserve_ids(User, count)
    now = timezone.now()
    rows = (
        {"id": i, "username": f"mem{i}", "email": f"mem{i}@example.com", "password": "!", "date_joined": now}
        for i in ids
    )
    copy_insert(User, rows)
    return ids


def stream(client, campaign) -> tuple[int, int, float]:
    """(peak traced bytes, rows, seconds) of consuming the whole response."""
    tracemalloc.start()
    started = time.monotonic()
    response = client.get(f"/api/campaigns/{campaign.pk}/backers.csv", {"async": "0"})
    assert response.status_code == 200
    rows = 0
    for chunk in response.streaming_content:
        rows += chunk.count(b"\n")
    seconds = time.monotonic() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, rows - 1, seconds


# Committed rows (transaction=True): the cursor is then a WITH HOLD one, as in production, and
# teardown is one TRUNCATE instead of a rollback that first checks 165,000 deferred foreign keys.
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(180)
def test_a_report_of_50000_pledges_streams_in_bounded_memory():
    creator = factories.UserFactory()
    small = factories.LiveCampaignFactory(creator=creator, title="Five thousand")
    big = factories.LiveCampaignFactory(creator=creator, title="Fifty thousand")
    tier = factories.RewardTierFactory(campaign=big, title="=Signed vinyl", minimum=Decimal("25.00"))
    small_tier = factories.RewardTierFactory(campaign=small, title="Poster", minimum=Decimal("25.00"))
    users = bulk_users(50_000)
    bulk_pledges(small, users[:5_000], small_tier)
    bulk_pledges(big, users, tier)
    client = client_for(creator)
    stream(client, small)  # warm-up: first-request imports and caches are not the report's

    small_peak, small_rows, small_seconds = stream(client, small)
    big_peak, big_rows, big_seconds = stream(client, big)

    print(
        f"\n5k rows: peak {small_peak / MB:.2f} MB in {small_seconds:.1f}s;"
        f" 50k rows: peak {big_peak / MB:.2f} MB in {big_seconds:.1f}s (traced)"
    )
    assert (small_rows, big_rows) == (5_000, 50_000)
    assert big_peak < 8 * MB
    # Ten times the rows, not ten times the memory: the same chunks, reused.
    assert big_peak < small_peak * 1.5 + MB
