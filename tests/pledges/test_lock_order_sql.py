"""Every money move takes its row locks in one order: campaign, pledge, reward tiers, charge.

Read from the SQL each service sends (a SELECT … FOR [NO KEY] UPDATE or an UPDATE locks
rows of its table), so a change that reorders them fails here, not in production."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from closing.services import campaign_cancel, campaign_close
from closing.services.collection import pledge_collect
from pledges.models import Pledge
from pledges.payments import get_gateway
from pledges.services import (
    PledgeRequest,
    pledge_activate_from_setup,
    pledge_cancel,
    pledge_create,
    pledge_refund,
    pledge_update,
)
from tests import factories
from tests.support.payments import complete_test_3ds_setup

pytestmark = pytest.mark.django_db
ORDER = ["campaigns_campaign", "pledges_pledge", "rewards_rewardtier", "pledges_charge"]
LOCKING_SELECT = re.compile(r'^SELECT .* FROM "(\w+)".* FOR (NO KEY )?UPDATE', re.S)
UPDATE = re.compile(r'^UPDATE "(\w+)"')


def locked_tables(run) -> list[str]:
    """The tables whose rows ``run`` locks, in the order first locked, after checking that
    within each transaction (a savepoint, inside the test's own) new locks come in ORDER."""
    with CaptureQueriesContext(connection) as queries:
        run()
    tables: list[str] = []
    transaction: list[str] = []
    for query in queries.captured_queries:
        sql = query["sql"]
        if sql.startswith("SAVEPOINT"):
            transaction = []
        match = LOCKING_SELECT.match(sql) or UPDATE.match(sql)
        if match and match.group(1) in ORDER and match.group(1) not in transaction:
            # A row this transaction holds already (the campaign's totals) is no new lock.
            table = match.group(1)
            assert not transaction or ORDER.index(table) > ORDER.index(transaction[-1]), (transaction, table)
            transaction.append(table)
            if table not in tables:
                tables.append(table)
    return tables


def assert_in_order(tables: list[str], expected: list[str]) -> None:
    assert tables == expected


@pytest.fixture
def campaign():
    return factories.LiveCampaignFactory(
        goal=Decimal("50.00"),
        rewards=[
            {"title": "LP", "minimum": Decimal("10.00"), "limit": 5},
            {"title": "Book", "minimum": Decimal("10.00"), "limit": 5},
        ],
    )


def test_pledge_create_locks_the_campaign_then_the_tier(campaign):
    tier = campaign.rewards.first()
    card = factories.payment_method()
    backer = factories.UserFactory()

    tables = locked_tables(
        lambda: pledge_create(
            backer=backer,
            ask=PledgeRequest(campaign_id=campaign.pk, amount=Decimal("20"), reward_id=tier.pk, payment_method_id=card),
        )
    )

    assert_in_order(tables, ["campaigns_campaign", "rewards_rewardtier"])


@pytest.mark.parametrize("direction", ["to the higher id", "to the lower id"])
def test_pledge_update_locks_campaign_pledge_then_tiers(campaign, direction):
    low, high = campaign.rewards.order_by("pk")
    start, target = (low, high) if direction == "to the higher id" else (high, low)
    pledge = factories.PledgeFactory(campaign=campaign, amount="20.00", reward=start)

    tables = locked_tables(lambda: pledge_update(pledge=pledge, amount=Decimal("25.00"), reward_id=target.pk))

    assert_in_order(tables, ["campaigns_campaign", "pledges_pledge", "rewards_rewardtier"])


def test_pledge_cancel_locks_campaign_pledge_then_tier(campaign):
    pledge = factories.PledgeFactory(campaign=campaign, amount="20.00", reward=campaign.rewards.first())

    tables = locked_tables(lambda: pledge_cancel(pledge=pledge))

    assert_in_order(tables, ["campaigns_campaign", "pledges_pledge", "rewards_rewardtier"])


def test_activation_locks_the_campaign_then_the_pledge(campaign):
    pledge = pledge_create(
        backer=factories.UserFactory(), ask=PledgeRequest(campaign_id=campaign.pk, amount=Decimal("20"))
    )
    complete_test_3ds_setup(get_gateway(), pledge.setup_intent_id, payment_method_id=factories.payment_method())

    tables = locked_tables(lambda: pledge_activate_from_setup(pledge=pledge, payment_method_id=None))

    assert_in_order(tables, ["campaigns_campaign", "pledges_pledge"])


def test_close_and_cancel_lock_the_campaign_then_its_pledges(campaign, django_capture_on_commit_callbacks):
    factories.PledgeFactory(campaign=campaign, amount="60.00")
    pending = factories.LiveCampaignFactory(goal=Decimal("50.00"))
    pledge_create(backer=factories.UserFactory(), ask=PledgeRequest(campaign_id=pending.pk, amount=Decimal("20")))
    factories.ended(campaign)

    with django_capture_on_commit_callbacks(execute=False):
        closing = locked_tables(lambda: campaign_close(campaign_id=campaign.pk))
    canceling = locked_tables(lambda: campaign_cancel(campaign=pending))

    assert_in_order(closing, ["campaigns_campaign", "pledges_pledge"])
    assert_in_order(canceling, ["campaigns_campaign", "pledges_pledge"])


def test_collection_and_refunds_lock_campaign_pledge_then_charge(campaign):
    pledge = factories.PledgeFactory(campaign=campaign, amount="60.00")
    factories.closed(campaign)
    staff = factories.StaffFactory()

    collecting = locked_tables(lambda: pledge_collect(pledge_id=pledge.pk))
    refunding = locked_tables(lambda: pledge_refund(pledge=Pledge.objects.get(pk=pledge.pk), by=staff))

    # The attempt is written (inserted, already marked submitted) under the pledge's lock alone;
    # the result locks campaign, pledge, charge.
    assert_in_order(collecting, ["pledges_pledge", "campaigns_campaign", "pledges_charge"])
    assert_in_order(refunding, ["campaigns_campaign", "pledges_pledge", "pledges_charge"])
