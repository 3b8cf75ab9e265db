"""Late pledges: after a successful close, at the late price, charged at once through collection
(at most once), in the totals and the creator's ledger; refused before the close, after the end
date and on a failed campaign; a declined card keeps the pledge errored for another card."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.services import campaign_set_late_pledges
from closing.services import late_pledge_charge
from core.errors import Conflict
from notifications.models import Notification
from payouts.models import LedgerEntry
from pledges.models import Charge, Pledge
from pledges.payments import get_gateway
from pledges.services import PledgeRequest, pledge_create_late
from reports.backers import BACKER_HEADER, backer_report
from rewards.models import RewardTier
from tests import factories
from tests.conftest import at_once, client_for
from tests.support.payments import complete_test_3ds_setup, payment_intents_of, succeeded_payment_intents

pytestmark = pytest.mark.django_db


def _campaign(*, goal: str = "10", currency: str = "USD", limit: int | None = 3) -> Campaign:
    """A live campaign with a limited tier (20.00 + 5.00 shipping) and one backer, late pledges on
    (10 % more, for a week after the deadline)."""
    campaign = factories.LiveCampaignFactory(
        goal=Decimal(goal),
        currency=currency,
        rewards=[{"title": "Vinyl", "minimum": Decimal("20.00"), "shipping": Decimal("5.00"), "limit": limit}],
    )
    factories.PledgeFactory(campaign=campaign, amount="25.00", reward=campaign.rewards.get())
    return campaign_set_late_pledges(campaign=campaign, until=campaign.deadline + timedelta(days=7), price_percent=10)


@pytest.fixture
def late_campaign() -> Campaign:
    return factories.closed(_campaign())


def _late_body(campaign: Campaign, amount: str = "27.00", card: str = factories.CARD_SUCCEEDS) -> dict:
    return {
        "campaign": campaign.pk,
        "reward": campaign.rewards.get().pk,
        "amount": amount,
        "payment_method": factories.payment_method(card),
        "shipping_country": "US",  # the tier ships to the rest of the world
    }


def test_a_late_pledge_is_charged_at_once_at_the_late_price_and_enters_the_ledger(late_campaign):
    backer = factories.UserFactory()
    before = Campaign.objects.get(pk=late_campaign.pk)

    response = client_for(backer).post("/api/pledges/", _late_body(late_campaign), format="json")

    assert response.status_code == 201, response.json()
    assert (response.json()["state"], response.json()["amount"]) == ("collected", "27.00")
    pledge = Pledge.objects.get(pk=response.json()["id"])
    assert pledge.is_late
    charge = pledge.charges.get()
    assert (charge.state, charge.amount, charge.idempotency_key) == (
        Charge.State.SUCCEEDED,
        Decimal("27.00"),
        f"pledge:{pledge.pk}:charge:1",
    )
    assert len(succeeded_payment_intents(get_gateway(), pledge.stripe_customer_id, pledge.pk)) == 1
    after = Campaign.objects.get(pk=late_campaign.pk)
    # The result of the campaign stays as it closed; the money collected moves, as at the close.
    assert (after.pledged, after.backers_count) == (before.pledged, before.backers_count)
    assert (after.collected - before.collected, after.collected_count - before.collected_count) == (
        Decimal("27.00"),
        1,
    )
    ledger = dict(LedgerEntry.objects.filter(charge=charge).values_list("kind", "amount"))
    assert ledger == {"charge_collected": Decimal("27.00"), "platform_fee": Decimal("-1.35")}
    assert RewardTier.objects.get(campaign=late_campaign).claimed == 2
    kinds = sorted(Notification.objects.filter(recipient=backer).values_list("kind", flat=True))
    assert kinds == ["pledge_charged"]
    # Marked in the creator's report.
    rows = list(backer_report(late_campaign).sections[0].rows)
    late_column = BACKER_HEADER.index("Late Pledge")
    assert [row[late_column] for row in rows] == [None, "yes"]


def test_the_late_price_is_the_minimum_plus_the_percentage_rounded_up_and_enforced(late_campaign):
    response = client_for(factories.UserFactory()).post(
        "/api/pledges/", _late_body(late_campaign, amount="26.99"), format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "below_minimum"
    assert "27.00 USD" in response.json()["detail"]
    assert not Pledge.objects.filter(is_late=True).exists()


def test_late_pledges_in_yen_round_up_to_a_whole_yen():
    campaign = factories.LiveCampaignFactory(
        goal=Decimal("100"), currency="JPY", rewards=[{"title": "CD", "minimum": Decimal("1999")}]
    )
    factories.PledgeFactory(campaign=campaign, amount="1999", reward=campaign.rewards.get())
    campaign_set_late_pledges(campaign=campaign, until=campaign.deadline + timedelta(days=3), price_percent=15)
    factories.closed(campaign)
    body = {
        "campaign": campaign.pk,
        "reward": campaign.rewards.get().pk,
        "payment_method": factories.payment_method(),
        "shipping_country": "US",
    }

    low = client_for(factories.UserFactory()).post("/api/pledges/", {**body, "amount": "2298"}, format="json")
    ok = client_for(factories.UserFactory()).post("/api/pledges/", {**body, "amount": "2299"}, format="json")

    # 1999 x 1.15 = 2298.85, rounded up to 2299
    assert (low.status_code, ok.status_code) == (400, 201)
    assert (ok.json()["state"], ok.json()["amount"]) == ("collected", "2299")


def test_late_pledges_are_refused_after_their_end_date(late_campaign):
    backer = factories.UserFactory()
    body = _late_body(late_campaign)

    with time_machine.travel(late_campaign.late_pledges_until + timedelta(seconds=1)):
        response = client_for(backer).post("/api/pledges/", body, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "late_pledges_ended"
    assert not Pledge.objects.filter(backer=backer).exists()
    assert payment_intents_of(get_gateway(), "cus_none") == []


def test_a_failed_campaign_never_takes_late_pledges():
    campaign = factories.closed(_campaign(goal="1000"))
    assert campaign.state == Campaign.State.FAILED

    response = client_for(factories.UserFactory()).post("/api/pledges/", _late_body(campaign), format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "campaign_closed"
    with pytest.raises(Conflict):
        campaign_set_late_pledges(campaign=campaign, until=timezone.now() + timedelta(days=1), price_percent=0)
    assert not Pledge.objects.filter(is_late=True).exists()


def test_before_the_close_a_pledge_is_an_ordinary_one_and_no_late_pledge_is_taken():
    campaign = _campaign()
    backer = factories.UserFactory()

    with pytest.raises(Conflict) as refused:
        pledge_create_late(
            backer=factories.UserFactory(), ask=PledgeRequest(campaign_id=campaign.pk, amount=Decimal("27.00"))
        )
    response = client_for(backer).post("/api/pledges/", _late_body(campaign, amount="25.00"), format="json")

    assert refused.value.code == "campaign_live"
    assert (response.status_code, response.json()["state"]) == (201, "active")
    pledge = Pledge.objects.get(pk=response.json()["id"])
    assert (pledge.is_late, pledge.charges.count()) == (False, 0)


def test_a_declined_late_card_is_402_the_pledge_kept_errored_then_fixed_with_another_card(late_campaign):
    backer = factories.UserFactory()
    body = _late_body(late_campaign, card=factories.CARD_DECLINES_ON_CHARGE)

    declined = client_for(backer).post("/api/pledges/", body, format="json")

    assert declined.status_code == 402
    assert declined.json()["code"] == "card_declined"
    assert "Nothing was charged" in declined.json()["detail"]
    pledge = Pledge.objects.get(backer=backer)
    assert (pledge.state, pledge.is_late) == (Pledge.State.ERRORED, True)
    assert list(pledge.charges.values_list("state", flat=True)) == [Charge.State.FAILED]
    assert succeeded_payment_intents(get_gateway(), pledge.stripe_customer_id, pledge.pk) == []

    fixed = client_for(backer).post(
        f"/api/pledges/{pledge.pk}/payment-method/", {"payment_method": factories.payment_method()}, format="json"
    )

    assert (fixed.status_code, fixed.json()["state"]) == (200, "collected")
    kinds = sorted(Notification.objects.filter(recipient=backer).values_list("kind", flat=True))
    assert kinds == ["fixed_card_charged", "payment_failed"]
    assert len(succeeded_payment_intents(get_gateway(), pledge.stripe_customer_id, pledge.pk)) == 1


def test_a_retried_request_never_charges_twice(late_campaign):
    backer = factories.UserFactory()
    body = _late_body(late_campaign)
    client = client_for(backer)

    first = client.post("/api/pledges/", body, format="json", HTTP_IDEMPOTENCY_KEY="late-1")
    again = client.post("/api/pledges/", body, format="json", HTTP_IDEMPOTENCY_KEY="late-1")
    without_key = client.post("/api/pledges/", body, format="json")
    pledge = Pledge.objects.get(backer=backer)
    charged_again = late_pledge_charge(pledge=pledge)  # the charge step run twice (a retried confirm)

    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert (without_key.status_code, without_key.json()["code"]) == (409, "duplicate_pledge")
    assert charged_again.state == Pledge.State.COLLECTED
    assert pledge.charges.count() == 1
    assert len(succeeded_payment_intents(get_gateway(), pledge.stripe_customer_id, pledge.pk)) == 1


def test_a_limited_tier_is_never_oversold_by_late_pledges():
    campaign = factories.closed(_campaign(limit=2))  # one unit taken during the campaign

    first = client_for(factories.UserFactory()).post("/api/pledges/", _late_body(campaign), format="json")
    second = client_for(factories.UserFactory()).post("/api/pledges/", _late_body(campaign), format="json")

    assert first.status_code == 201
    assert (second.status_code, second.json()["code"]) == (409, "sold_out")
    tier = RewardTier.objects.get(campaign=campaign)
    assert (tier.claimed, tier.limit) == (2, 2)


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_late_pledges_takes_exactly_the_units_left_and_charges_each_winner_once():
    campaign = factories.closed(_campaign(limit=4))  # one unit taken during the campaign: 3 left
    backers = [factories.UserFactory() for _ in range(10)]
    bodies = [_late_body(campaign) for _ in backers]  # each its own card, made before the release

    answers = at_once(10, lambda i: client_for(backers[i]).post("/api/pledges/", bodies[i], format="json"))

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * 3 + [409] * 7
    assert {answer.json()["code"] for answer in answers if answer.status_code == 409} == {"sold_out"}
    tier = RewardTier.objects.get(campaign=campaign)
    assert (tier.claimed, tier.limit) == (4, 4)
    late = Pledge.objects.filter(campaign=campaign, is_late=True)
    assert sorted(late.values_list("state", flat=True)) == [Pledge.State.COLLECTED] * 3
    assert Charge.objects.filter(pledge__in=late).count() == 3
    for pledge in late:
        assert len(succeeded_payment_intents(get_gateway(), pledge.stripe_customer_id, pledge.pk)) == 1
    campaign.refresh_from_db()
    assert campaign.collected == 3 * Decimal("27.00")  # the pledge before the close is not collected here


def test_the_web_checkout_takes_a_late_pledge_and_charges_it_when_the_card_is_confirmed(late_campaign):
    backer = factories.UserFactory()
    browser = Client()
    browser.force_login(backer)
    reward = late_campaign.rewards.get()

    page = browser.get(f"/campaigns/{late_campaign.slug}/")
    checkout = browser.get(f"/campaigns/{late_campaign.slug}/pledge/?reward={reward.pk}")
    started = browser.post(
        f"/campaigns/{late_campaign.slug}/pledge/",
        {"reward": str(reward.pk), "amount": "30.00", "token": "t-1", "shipping_country": "US"},
    )
    pledge = Pledge.objects.get(backer=backer)
    complete_test_3ds_setup(get_gateway(), pledge.setup_intent_id, payment_method_id=factories.payment_method())
    confirmed = browser.post(f"/me/pledges/{pledge.pk}/confirm/")

    assert 'id="late-pledges"' in page.content.decode()
    card = page.content.decode().split(f'id="reward-{reward.pk}"')[1].split("</div>\n  \n")[0]
    assert '<div class="big late-price">$22.00</div>' in card
    assert "Late price: backers before the close paid $20.00." in card
    assert "Pledge $22.00 or more" in card
    assert "$22.00 (late price)" in checkout.content.decode()
    # The late price is the tier's part; its shipping is added once a destination is chosen.
    assert 'data-minimum="22.00"' in checkout.content.decode()
    assert started.status_code == 302 and pledge.is_late
    assert confirmed.status_code == 302
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.COLLECTED
    assert pledge.charges.get().amount == Decimal("30.00")


def test_the_creator_sets_late_pledges_in_the_studio_and_the_api_checks_the_dates():
    campaign = factories.LiveCampaignFactory()
    creator = campaign.creator
    studio = Client()
    studio.force_login(creator)
    until = campaign.deadline + timedelta(days=5)

    saved = studio.post(
        f"/studio/{campaign.slug}/late-pledges/", {"until": until.strftime("%Y-%m-%dT%H:%M"), "price_percent": "20"}
    )
    too_early = client_for(creator).put(
        f"/api/campaigns/{campaign.pk}/late-pledges/",
        {"until": (campaign.deadline - timedelta(hours=1)).isoformat(), "price_percent": 5},
        format="json",
    )
    too_long = client_for(creator).put(
        f"/api/campaigns/{campaign.pk}/late-pledges/",
        {"until": (campaign.deadline + timedelta(days=91)).isoformat(), "price_percent": 5},
        format="json",
    )
    not_mine = client_for(factories.UserFactory()).put(
        f"/api/campaigns/{campaign.pk}/late-pledges/", {"until": None}, format="json"
    )
    off = client_for(creator).put(f"/api/campaigns/{campaign.pk}/late-pledges/", {"until": None}, format="json")

    assert saved.status_code == 302
    assert (too_early.status_code, too_early.json()["code"]) == (400, "invalid_late_pledges_until")
    assert (too_long.status_code, too_long.json()["code"]) == (400, "invalid_late_pledges_until")
    assert not_mine.status_code == 403
    assert (off.status_code, off.json()["late_pledges_until"], off.json()["late_price_percent"]) == (200, None, 0)
