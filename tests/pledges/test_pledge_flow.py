"""Pledging through the API with the real stripe SDK against localstripe."""

from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from pledges.models import Pledge
from pledges.payments import get_gateway
from pledges.services import pledges_expire_pending
from rewards.models import RewardTier
from tests import factories
from tests.conftest import client_for
from tests.support.payments import complete_test_3ds_setup

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(creator):
    return factories.LiveCampaignFactory(
        creator=creator,
        goal=Decimal("100.00"),
        rewards=[{"title": "Signed vinyl", "minimum": Decimal("25.00"), "limit": 2}],
    )


def _pledge(client, campaign, amount="30.00", reward=None, payment_method=None):
    body = {"campaign": campaign.pk, "amount": amount, "reward": reward}
    if payment_method:
        body["payment_method"] = payment_method
    return client.post("/api/pledges/", body, format="json")


def _totals(campaign):
    campaign.refresh_from_db()
    return campaign.pledged, campaign.backers_count


def test_pledge_with_a_good_card_is_active_and_counts_in_the_totals(campaign, user, card):
    reward = campaign.rewards.get()

    response = _pledge(client_for(user), campaign, "30.00", reward.pk, card)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "active"
    assert body["amount"] == "30.00"
    assert body["currency"] == "USD"
    assert body["client_secret"] is None
    assert _totals(campaign) == (Decimal("30.00"), 1)
    assert RewardTier.objects.get(pk=reward.pk).claimed == 1
    pledge = Pledge.objects.get(pk=body["id"])
    setup = get_gateway().retrieve_setup_intent(pledge.setup_intent_id)
    assert setup.status == "succeeded"
    assert setup.customer_id == user.payment_customer.stripe_customer_id == pledge.stripe_customer_id


def test_a_backer_has_one_customer_for_all_their_pledges(creator, user):
    first, second = factories.LiveCampaignFactory(creator=creator), factories.LiveCampaignFactory(creator=creator)

    responses = [
        _pledge(client_for(user), campaign, payment_method=factories.payment_method()) for campaign in (first, second)
    ]

    assert [(r.status_code, r.json()["state"]) for r in responses] == [(201, "active"), (201, "active")]
    customer = user.payment_customer.stripe_customer_id
    pledges = Pledge.objects.filter(backer=user).order_by("campaign_id")
    assert list(pledges.values_list("campaign_id", "stripe_customer_id")) == [
        (first.pk, customer),
        (second.pk, customer),
    ]
    setups = [get_gateway().retrieve_setup_intent(pledge.setup_intent_id) for pledge in pledges]
    assert [setup.customer_id for setup in setups] == [customer, customer]


def test_pledge_without_a_card_is_pending_with_a_client_secret_then_confirmed(campaign, user):
    client = client_for(user)
    response = _pledge(client, campaign, "40.00")
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "pending"
    assert body["client_secret"]
    assert _totals(campaign) == (Decimal("0.00"), 0)

    # The browser (Stripe.js confirmCardSetup) confirms the SetupIntent with the card.
    pledge = Pledge.objects.get(pk=body["id"])
    complete_test_3ds_setup(get_gateway(), pledge.setup_intent_id, payment_method_id=factories.payment_method())
    confirmed = client.post(f"/api/pledges/{pledge.pk}/confirm/")

    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["state"] == "active"
    assert _totals(campaign) == (Decimal("40.00"), 1)
    # Confirming twice changes nothing more.
    assert client.post(f"/api/pledges/{pledge.pk}/confirm/").json()["state"] == "active"
    assert _totals(campaign) == (Decimal("40.00"), 1)


def test_confirm_before_the_browser_finished_3ds_is_a_conflict(campaign, user):
    client = client_for(user)
    response = _pledge(client, campaign, "30.00", payment_method=factories.payment_method(factories.CARD_REQUIRES_3DS))
    assert response.status_code == 201
    assert response.json()["state"] == "pending"
    assert response.json()["client_secret"]

    confirm = client.post(f"/api/pledges/{response.json()['id']}/confirm/")

    assert confirm.status_code == 409
    assert confirm.json()["code"] == "requires_action"
    assert _totals(campaign) == (Decimal("0.00"), 0)

    pledge = Pledge.objects.get(pk=response.json()["id"])
    complete_test_3ds_setup(get_gateway(), pledge.setup_intent_id)
    assert client.post(f"/api/pledges/{pledge.pk}/confirm/").json()["state"] == "active"
    assert _totals(campaign) == (Decimal("30.00"), 1)


def test_card_declined_at_setup_is_402_and_leaves_nothing_behind(campaign, user):
    reward = campaign.rewards.get()

    response = _pledge(
        client_for(user), campaign, "30.00", reward.pk, factories.payment_method(factories.CARD_DECLINES_AT_SETUP)
    )

    assert response.status_code == 402
    assert response.json()["code"] == "card_declined"
    assert "declined" in response.json()["detail"]
    assert not Pledge.objects.exists()
    assert RewardTier.objects.get(pk=reward.pk).claimed == 0
    assert _totals(campaign) == (Decimal("0.00"), 0)


def test_backer_changes_amount_and_reward_and_totals_follow(campaign, user, card):
    reward = campaign.rewards.get()
    client = client_for(user)
    pledge_id = _pledge(client, campaign, "10.00", None, card).json()["id"]

    raised = client.patch(f"/api/pledges/{pledge_id}/", {"amount": "25.50", "reward": reward.pk}, format="json")

    assert raised.status_code == 200, raised.json()
    assert raised.json()["amount"] == "25.50"
    assert _totals(campaign) == (Decimal("25.50"), 1)
    assert RewardTier.objects.get(pk=reward.pk).claimed == 1

    too_low = client.patch(f"/api/pledges/{pledge_id}/", {"amount": "20.00"}, format="json")
    assert too_low.status_code == 400
    assert too_low.json()["code"] == "below_minimum"

    dropped_reward = client.patch(f"/api/pledges/{pledge_id}/", {"reward": None, "amount": "5"}, format="json")
    assert dropped_reward.status_code == 200
    assert _totals(campaign) == (Decimal("5.00"), 1)
    assert RewardTier.objects.get(pk=reward.pk).claimed == 0


def test_changing_to_a_sold_out_reward_is_a_conflict_and_changes_nothing(campaign, card):
    reward = campaign.rewards.get()
    for _ in range(2):
        _pledge(client_for(factories.UserFactory()), campaign, "25", reward.pk, factories.payment_method())
    late = factories.UserFactory()
    pledge_id = _pledge(client_for(late), campaign, "30", None, card).json()["id"]

    response = client_for(late).patch(f"/api/pledges/{pledge_id}/", {"reward": reward.pk}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "sold_out"
    assert Pledge.objects.get(pk=pledge_id).reward_id is None
    assert RewardTier.objects.get(pk=reward.pk).claimed == 2
    assert _totals(campaign) == (Decimal("80.00"), 3)


def test_cancel_gives_back_stock_and_totals_and_then_the_backer_may_pledge_again(campaign, user, card):
    reward = campaign.rewards.get()
    client = client_for(user)
    pledge_id = _pledge(client, campaign, "30", reward.pk, card).json()["id"]

    canceled = client.post(f"/api/pledges/{pledge_id}/cancel/")

    assert canceled.status_code == 200
    assert canceled.json()["state"] == "canceled"
    assert canceled.json()["end_reason"] == "backer"
    assert _totals(campaign) == (Decimal("0.00"), 0)
    assert RewardTier.objects.get(pk=reward.pk).claimed == 0
    assert client.post(f"/api/pledges/{pledge_id}/cancel/").status_code == 409
    again = _pledge(client, campaign, "35", reward.pk, factories.payment_method())
    assert again.status_code == 201
    assert _totals(campaign) == (Decimal("35.00"), 1)


def test_no_change_or_cancel_after_the_deadline(campaign, user, card):
    client = client_for(user)
    pledge_id = _pledge(client, campaign, "30", None, card).json()["id"]

    with time_machine.travel(campaign.deadline + timezone.timedelta(seconds=1)):
        changed = client.patch(f"/api/pledges/{pledge_id}/", {"amount": "50"}, format="json")
        canceled = client.post(f"/api/pledges/{pledge_id}/cancel/")
        new = _pledge(client_for(factories.UserFactory()), campaign, "30", None, factories.payment_method())

    assert (changed.status_code, canceled.status_code, new.status_code) == (409, 409, 409)
    assert changed.json()["code"] == canceled.json()["code"] == new.json()["code"] == "campaign_closed"
    assert _totals(campaign) == (Decimal("30.00"), 1)


def test_pending_pledge_holds_its_reward_until_it_expires(campaign, settings):
    reward = campaign.rewards.get()
    holders = [factories.UserFactory() for _ in range(2)]
    for holder in holders:
        assert _pledge(client_for(holder), campaign, "25", reward.pk).json()["state"] == "pending"

    sold_out = _pledge(client_for(factories.UserFactory()), campaign, "25", reward.pk, factories.payment_method())
    assert sold_out.status_code == 409
    assert sold_out.json()["code"] == "sold_out"

    with time_machine.travel(timezone.now() + settings.PENDING_PLEDGE_TTL + timezone.timedelta(seconds=1)):
        assert pledges_expire_pending() == 2
        assert pledges_expire_pending() == 0
        later = _pledge(client_for(factories.UserFactory()), campaign, "25", reward.pk, factories.payment_method())

    assert later.status_code == 201
    assert set(Pledge.objects.filter(backer__in=holders).values_list("state", "end_reason")) == {
        ("canceled", "expired")
    }
    assert RewardTier.objects.get(pk=reward.pk).claimed == 1


def test_goal_reached_sets_funded_at_once(creator):
    """funded_at is the moment a pledge first took the total to the goal; later pledges keep it."""
    campaign = factories.LiveCampaignFactory(creator=creator, goal=Decimal("50.00"))
    start = timezone.now()

    def pledge_at(moment):
        with time_machine.travel(moment, tick=False):
            response = _pledge(client_for(factories.UserFactory()), campaign, "30", None, factories.payment_method())
        assert response.status_code == 201, response.json()
        campaign.refresh_from_db()
        return campaign.funded_at

    below = pledge_at(start + timezone.timedelta(minutes=1))
    reached = pledge_at(start + timezone.timedelta(minutes=2))
    beyond = pledge_at(start + timezone.timedelta(minutes=3))

    assert below is None
    assert reached == beyond == start + timezone.timedelta(minutes=2)
    assert (campaign.pledged, campaign.percent_funded) == (Decimal("90.00"), 180)
