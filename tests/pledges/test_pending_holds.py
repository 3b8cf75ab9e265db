"""Card-less pending pledges hold a limited unit only briefly, one per backer and campaign."""

from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from pledges.models import Pledge
from pledges.payments import get_gateway
from pledges.services import pledge_create, pledges_expire_pending
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
    return pledge_create(
        backer=factories.UserFactory(), campaign_id=campaign.pk, amount=Decimal("50.00"), reward_id=reward.pk
    )


def _pledge_with_card(campaign, reward):
    body = {
        "campaign": campaign.pk,
        "reward": reward.pk,
        "amount": "50.00",
        "payment_method": factories.payment_method(),
    }
    return client_for(factories.UserFactory()).post("/api/pledges/", body, format="json")


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
    gateway = get_gateway()
    assert [gateway.retrieve_setup_intent(p.setup_intent_id).status for p in holds] == ["canceled", "canceled"]


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


def test_the_ttl_is_minutes():
    assert timezone.timedelta(minutes=1) <= settings.PENDING_PLEDGE_TTL <= timezone.timedelta(minutes=15)
