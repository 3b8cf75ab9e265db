"""Card-less pending pledges hold a limited unit only briefly, one per backer and campaign and a
few per client address; lapsed holds are let go without a provider call in the request."""

import threading
from collections import Counter
from decimal import Decimal

import pytest
import redis
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import timezone

from core import metrics
from pledges.models import Pledge
from pledges.payments import get_gateway
from pledges.services import PledgeRequest, pledge_create, pledges_expire_pending
from pledges.tasks import forget_lapsed_cards
from rewards.models import RewardTier
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
LATER = settings.PENDING_PLEDGE_TTL + timezone.timedelta(seconds=1)


@pytest.fixture
def two_left():
    campaign = factories.LiveCampaignFactory(
        goal=Decimal("500.00"), rewards=[{"title": "House party", "minimum": Decimal("50.00"), "limit": 2}]
    )
    return campaign, campaign.rewards.get()


def _hold(campaign, reward) -> Pledge:
    """A pledge without a card: the browser has the client secret and never comes back."""
    ask = PledgeRequest(campaign_id=campaign.pk, amount=Decimal("50.00"), reward_id=reward.pk)
    return pledge_create(backer=factories.UserFactory(), ask=ask)


def _pledge_with_card(campaign, reward, payment_method=None):
    body = {
        "campaign": campaign.pk,
        "reward": reward.pk,
        "amount": "50.00",
        "payment_method": payment_method or factories.payment_method(),
    }
    return client_for(factories.UserFactory()).post("/api/pledges/", body, format="json")


def _hold_from(address: str, campaign, reward):
    """A card-less pledge through the API from a client address (as the web checkout makes one)."""
    body = {"campaign": campaign.pk, "reward": reward.pk, "amount": "50.00"}
    return client_for(factories.UserFactory()).post("/api/pledges/", body, format="json", REMOTE_ADDR=address)


def _provider_calls() -> Counter:
    """Provider calls counted so far by operation (core.metrics counts every one in Redis)."""
    counts = redis.Redis.from_url(settings.REDIS_URL).hgetall(metrics.PROVIDER_CALLS_KEY)
    return Counter({field.decode().split(metrics._FIELD_SEPARATOR)[0]: int(n) for field, n in counts.items()})


def _setup_statuses(pledges) -> list[str]:
    gateway = get_gateway()
    return [gateway.retrieve_setup_intent(p.setup_intent_id).status for p in pledges]


def test_two_card_less_holds_sell_out_a_tier_only_until_they_lapse(two_left):
    campaign, reward = two_left
    holds = [_hold(campaign, reward), _hold(campaign, reward)]

    meanwhile = _pledge_with_card(campaign, reward)
    with time_machine.travel(timezone.now() + LATER):
        later = _pledge_with_card(campaign, reward)  # no sweep has run: the lapsed holds are freed on the spot

    assert (meanwhile.status_code, meanwhile.json()["code"]) == (409, "sold_out")
    assert (later.status_code, later.json()["state"]) == (201, "active")
    lapsed = Pledge.objects.filter(pk__in=[p.pk for p in holds])
    assert set(lapsed.values_list("state", "end_reason")) == {(Pledge.State.CANCELED, Pledge.EndReason.EXPIRED)}
    assert RewardTier.objects.get(pk=reward.pk).claimed == 1


def test_a_request_lets_lapsed_holds_go_without_calling_the_provider_and_the_task_cancels_them(two_left):
    campaign, reward = two_left
    holds = [_hold(campaign, reward), _hold(campaign, reward)]
    card = factories.payment_method()
    redis.Redis.from_url(settings.REDIS_URL).delete(metrics.PROVIDER_CALLS_KEY)

    with time_machine.travel(timezone.now() + LATER):
        later = _pledge_with_card(campaign, reward, card)
        during_the_request = _provider_calls()

    assert (later.status_code, later.json()["state"]) == (201, "active")
    # Only the buyer's own pledge reached the provider: its Customer and its SetupIntent (created
    # and confirmed in one call).
    assert during_the_request == {"POST /v1/customers": 1, "POST /v1/setup_intents": 1}
    assert _setup_statuses(holds) == ["requires_payment_method", "requires_payment_method"]

    assert forget_lapsed_cards() == 2
    assert forget_lapsed_cards() == 0  # idempotent: the second run finds nothing left
    assert _setup_statuses(holds) == ["canceled", "canceled"]
    assert set(Pledge.objects.filter(pk__in=[p.pk for p in holds]).values_list("setup_client_secret", flat=True)) == {
        ""
    }


def test_two_hoarding_accounts_on_one_client_cannot_block_the_last_unit(two_left, settings):
    settings.TIER_HOLDS_PER_CLIENT = 1
    campaign, reward = two_left

    first = _hold_from("203.0.113.7", campaign, reward)
    second = _hold_from("203.0.113.7", campaign, reward)
    buyer = _hold_from("198.51.100.2", campaign, reward)

    assert (first.status_code, first.json()["state"]) == (201, "pending")
    assert (second.status_code, second.json()["code"]) == (429, "too_many_holds")
    assert 0 < int(second["Retry-After"]) <= settings.PENDING_PLEDGE_TTL.total_seconds() + 1
    assert (buyer.status_code, buyer.json()["state"]) == (201, "pending")
    assert RewardTier.objects.get(pk=reward.pk).claimed == 2


def test_one_client_holds_at_most_the_default_number_of_units_of_a_tier():
    allowed = settings.TIER_HOLDS_PER_CLIENT
    assert 2 <= allowed <= 5  # a few: a household or an office behind one address
    campaign = factories.LiveCampaignFactory(
        rewards=[{"title": "House party", "minimum": Decimal("50.00"), "limit": allowed + 1}]
    )
    reward = campaign.rewards.get()

    hoarders = [_hold_from("203.0.113.7", campaign, reward) for _ in range(allowed + 1)]
    with_a_card = _pledge_with_card(campaign, reward)  # a card saved at once holds nothing: not counted

    assert [r.status_code for r in hoarders] == [201] * allowed + [429]
    assert (with_a_card.status_code, with_a_card.json()["state"]) == (201, "active")
    assert RewardTier.objects.get(pk=reward.pk).claimed == allowed + 1
    assert Pledge.objects.filter(reward=reward, state=Pledge.State.PENDING).count() == allowed


def test_a_hold_that_lapsed_no_longer_counts_for_its_client(two_left, settings):
    settings.TIER_HOLDS_PER_CLIENT = 1
    campaign, reward = two_left
    first = _hold_from("203.0.113.7", campaign, reward)

    with time_machine.travel(timezone.now() + LATER):
        again = _hold_from("203.0.113.7", campaign, reward)

    assert first.status_code == 201
    assert (again.status_code, again.json()["state"]) == (201, "pending")


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_holds_from_one_client_gets_exactly_the_allowed_number():
    allowed, tries = settings.TIER_HOLDS_PER_CLIENT, settings.TIER_HOLDS_PER_CLIENT + 5
    campaign = factories.LiveCampaignFactory(
        rewards=[{"title": "House party", "minimum": Decimal("50.00"), "limit": tries}]
    )
    reward = campaign.rewards.get()
    users = [factories.UserFactory() for _ in range(tries)]
    start = threading.Barrier(tries)
    statuses: list[int] = []

    def hold(user):
        try:
            client = client_for(user)
            start.wait()
            body = {"campaign": campaign.pk, "reward": reward.pk, "amount": "50.00"}
            statuses.append(client.post("/api/pledges/", body, format="json", REMOTE_ADDR="203.0.113.7").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=hold, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert Counter(statuses) == {201: allowed, 429: tries - allowed}
    assert RewardTier.objects.get(pk=reward.pk).claimed == allowed


def test_the_sweep_lets_a_lapsed_hold_go_and_cancels_its_setup_intent(two_left):
    campaign, reward = two_left
    hold = _hold(campaign, reward)

    with time_machine.travel(timezone.now() + LATER):
        expired = pledges_expire_pending()

    assert expired == 1
    assert Pledge.objects.get(pk=hold.pk).state == Pledge.State.CANCELED
    assert RewardTier.objects.get(pk=reward.pk).claimed == 0
    assert get_gateway().retrieve_setup_intent(hold.setup_intent_id).status == "canceled"


def test_a_hold_within_its_time_is_kept(two_left):
    campaign, reward = two_left
    hold = _hold(campaign, reward)

    with time_machine.travel(timezone.now() + settings.PENDING_PLEDGE_TTL - timezone.timedelta(seconds=5)):
        expired = pledges_expire_pending()

    assert expired == 0
    assert Pledge.objects.get(pk=hold.pk).state == Pledge.State.PENDING
    assert RewardTier.objects.get(pk=reward.pk).claimed == 1


def test_one_pending_pledge_per_backer_and_campaign(two_left):
    campaign, reward = two_left
    backer = factories.UserFactory()
    client = client_for(backer)
    body = {"campaign": campaign.pk, "reward": reward.pk, "amount": "50.00"}

    first = client.post("/api/pledges/", body, format="json")
    second = client.post("/api/pledges/", body, format="json")

    assert (first.status_code, first.json()["state"]) == (201, "pending")
    assert (second.status_code, second.json()["code"]) == (409, "duplicate_pledge")
    assert RewardTier.objects.get(pk=reward.pk).claimed == 1


def test_the_ttl_is_a_few_minutes():
    assert timezone.timedelta(minutes=1) <= settings.PENDING_PLEDGE_TTL <= timezone.timedelta(minutes=5)
