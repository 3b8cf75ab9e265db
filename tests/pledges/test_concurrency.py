"""A burst of backers on a limited tier, with real threads against real PostgreSQL."""

import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection

from pledges.models import Pledge
from rewards.models import RewardTier
from tests import factories
from tests.conftest import client_for

BACKERS = 30
LIMIT = 7


@pytest.mark.django_db(transaction=True)
def test_a_burst_on_a_limited_tier_has_exactly_limit_winners_and_exact_totals():
    campaign = factories.LiveCampaignFactory(
        goal=Decimal("1000"), rewards=[{"title": "Art book", "minimum": Decimal("125.00"), "limit": LIMIT}]
    )
    reward = campaign.rewards.get()
    backers = [(factories.UserFactory(), factories.payment_method()) for _ in range(BACKERS)]
    start = threading.Barrier(BACKERS)
    statuses: list[int] = []

    def pledge(user, payment_method):
        try:
            client = client_for(user)
            start.wait()
            response = client.post(
                "/api/pledges/",
                {"campaign": campaign.pk, "reward": reward.pk, "amount": "125.01", "payment_method": payment_method},
                format="json",
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=pledge, args=backer) for backer in backers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert Counter(statuses) == {201: LIMIT, 409: BACKERS - LIMIT}
    reward = RewardTier.objects.get(pk=reward.pk)
    assert reward.claimed == LIMIT
    assert reward.remaining == 0
    assert Pledge.objects.filter(campaign=campaign, state=Pledge.State.ACTIVE).count() == LIMIT
    campaign.refresh_from_db()
    assert campaign.backers_count == LIMIT
    assert campaign.pledged == Decimal("125.01") * LIMIT


@pytest.mark.django_db(transaction=True)
def test_concurrent_changes_and_cancels_keep_the_totals_exact():
    campaign = factories.LiveCampaignFactory(goal=Decimal("500"))
    backers = [factories.UserFactory() for _ in range(12)]
    pledges = [
        client_for(backer)
        .post(
            "/api/pledges/",
            {"campaign": campaign.pk, "amount": "10.00", "payment_method": factories.payment_method()},
            format="json",
        )
        .json()["id"]
        for backer in backers
    ]
    start = threading.Barrier(len(backers))

    def act(index: int):
        try:
            client = client_for(backers[index])
            start.wait()
            if index % 3 == 0:
                client.post(f"/api/pledges/{pledges[index]}/cancel/")
            else:
                client.patch(f"/api/pledges/{pledges[index]}/", {"amount": f"{10 + index}.25"}, format="json")
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(i,)) for i in range(len(backers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    active = Pledge.objects.filter(campaign=campaign, state=Pledge.State.ACTIVE)
    expected = sum(Decimal(f"{10 + i}.25") for i in range(len(backers)) if i % 3)
    campaign.refresh_from_db()
    assert active.count() == campaign.backers_count == 8
    assert campaign.pledged == expected == sum(p.amount for p in active)
