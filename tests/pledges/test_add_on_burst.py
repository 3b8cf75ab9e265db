"""A burst of backers on a limited add-on and a limited tier, with real threads against real
PostgreSQL: neither is ever oversold, and the totals are exact."""

import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection

from pledges.models import Pledge, PledgeAddOn
from rewards.models import AddOn, RewardTier
from rewards.services import Rule, add_on_create, reward_create
from tests import factories
from tests.conftest import client_for

BACKERS = 24


def _burst(bodies):
    start = threading.Barrier(len(bodies))
    statuses: list[int] = []

    def pledge(user, body):
        try:
            client = client_for(user)
            start.wait()
            response = client.post("/api/pledges/", body, format="json")
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=pledge, args=item) for item in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(statuses)


@pytest.mark.django_db(transaction=True)
def test_a_burst_on_a_limited_add_on_never_oversells_it():
    from campaigns.services import campaign_launch

    campaign = factories.DraftCampaignFactory(currency="EUR", goal=Decimal("10000"))
    vinyl = reward_create(
        campaign=campaign,
        title="Vinyl",
        minimum=Decimal("30.00"),
        shipping_rules=[Rule(price=Decimal("7.50"), region="eu")],
    )
    poster = add_on_create(campaign=campaign, title="Signed poster", price=Decimal("10.00"), limit=9, max_per_backer=2)
    campaign_launch(campaign=campaign)
    body = {
        "campaign": campaign.pk,
        "reward": vinyl.pk,
        "amount": "57.50",
        "shipping_country": "DE",
        "add_ons": [{"add_on": poster.pk, "quantity": 2}],
    }
    bodies = [(factories.UserFactory(), {**body, "payment_method": factories.payment_method()}) for _ in range(BACKERS)]

    statuses = _burst(bodies)

    # 9 units, 2 each: 4 backers get them, the fifth would need a unit more than is left.
    assert statuses == {201: 4, 409: BACKERS - 4}
    poster = AddOn.objects.get(pk=poster.pk)
    assert poster.claimed == 8
    assert PledgeAddOn.objects.filter(add_on=poster).count() == 4
    assert RewardTier.objects.get(pk=vinyl.pk).claimed == 4  # the refused released their tier too
    campaign.refresh_from_db()
    assert (campaign.backers_count, campaign.pledged) == (4, Decimal("230.00"))


@pytest.mark.django_db(transaction=True)
def test_a_burst_on_a_limited_tier_with_an_unlimited_add_on_holds_the_tier_limit():
    from campaigns.services import campaign_launch

    campaign = factories.DraftCampaignFactory(currency="USD", goal=Decimal("10000"))
    box = reward_create(
        campaign=campaign,
        title="Box set",
        minimum=Decimal("100.00"),
        limit=5,
        shipping_rules=[Rule(price=Decimal("20.00"), region="world")],
    )
    pin = add_on_create(campaign=campaign, title="Pin", price=Decimal("3.00"), max_per_backer=3)
    campaign_launch(campaign=campaign)
    body = {
        "campaign": campaign.pk,
        "reward": box.pk,
        "amount": "129.00",
        "shipping_country": "US",
        "add_ons": [{"add_on": pin.pk, "quantity": 3}],
    }
    bodies = [(factories.UserFactory(), {**body, "payment_method": factories.payment_method()}) for _ in range(BACKERS)]

    statuses = _burst(bodies)

    assert statuses == {201: 5, 409: BACKERS - 5}
    assert RewardTier.objects.get(pk=box.pk).claimed == 5
    assert AddOn.objects.get(pk=pin.pk).claimed == 15
    assert Pledge.objects.filter(campaign=campaign, state=Pledge.State.ACTIVE).count() == 5
