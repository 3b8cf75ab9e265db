"""A checkout without dead ends (issue 21): a card refused at the card step keeps the pending
pledge and its tier hold, and the backer tries another card on the same page; a lapsed hold
explains itself and offers to start again; the hold notice only where a tier is held.

Through Django's test client against the real localstripe: the browser's part (Stripe.js
confirming the SetupIntent with a card) is done with the provider's own API, as its shim does.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
import stripe
from django.test import Client
from django.utils import timezone

from pledges.models import Pledge
from pledges.payments import get_gateway
from rewards.models import RewardTier
from tests import factories
from tests.conftest import client_for
from tests.support.payments import complete_test_3ds_setup

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return factories.LiveCampaignFactory(
        title="Field Notebook",
        goal=Decimal("100.00"),
        rewards=[
            {"title": "Sketchbook", "minimum": Decimal("25.00"), "shipping": Decimal("5.00"), "limit": 2},
            {"title": "Postcard", "minimum": Decimal("5.00")},
        ],
    )


@pytest.fixture
def backer():
    return factories.UserFactory(username="river")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _start(client, campaign, reward, amount="30.00", form="t-1") -> Pledge:
    response = client.post(
        f"/campaigns/{campaign.slug}/pledge/",
        {"reward": reward.pk, "amount": amount, "token": form, "shipping_country": "US"},
    )
    assert response.status_code == 302, response.content
    return Pledge.objects.get(campaign=campaign, state=Pledge.State.PENDING)


def _browser_confirms(pledge: Pledge, card: str) -> None:
    """What Stripe.js does with the card typed: confirm the SetupIntent with it."""
    complete_test_3ds_setup(get_gateway(), pledge.setup_intent_id, payment_method_id=factories.payment_method(card))


def test_a_declined_card_keeps_the_pledge_and_another_card_completes_it(campaign, backer):
    sketchbook = campaign.rewards.get(title="Sketchbook")
    client = logged_in(backer)
    pledge = _start(client, campaign, sketchbook)
    first_secret = pledge.setup_client_secret
    with pytest.raises(stripe.CardError):
        _browser_confirms(pledge, factories.CARD_DECLINES_AT_SETUP)

    response = client.post(
        f"/me/pledges/{pledge.pk}/confirm/", {"error_code": "card_declined", "error_message": "Your card was declined."}
    )

    assert response["Location"] == f"/me/pledges/{pledge.pk}/card/"
    kept = Pledge.objects.get(pk=pledge.pk)
    assert (kept.state, kept.amount, kept.reward_id, kept.expires_at) == (
        Pledge.State.PENDING,
        Decimal("30.00"),
        sketchbook.pk,
        pledge.expires_at,
    )
    assert RewardTier.objects.get(pk=sketchbook.pk).claimed == 1
    assert kept.setup_client_secret != first_secret  # localstripe canceled the refused SetupIntent
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert (
        "Your card was declined. Nothing was charged; your pledge still waits for a card that works. "
        "Try another card." in page.text
    )
    assert kept.setup_client_secret in page.text

    _browser_confirms(kept, factories.CARD_SUCCEEDS)
    done = client.post(f"/me/pledges/{pledge.pk}/confirm/", {"error_code": "", "error_message": ""})

    assert done["Location"] == f"/me/pledges/{pledge.pk}/thanks/"
    assert list(Pledge.objects.filter(backer=backer).values_list("pk", "state")) == [(pledge.pk, Pledge.State.ACTIVE)]
    assert RewardTier.objects.get(pk=sketchbook.pk).claimed == 1
    campaign.refresh_from_db()
    assert (campaign.pledged, campaign.backers_count) == (Decimal("30.00"), 1)


def test_a_failed_3d_secure_check_keeps_the_pledge(campaign, backer):
    sketchbook = campaign.rewards.get(title="Sketchbook")
    client = logged_in(backer)
    pledge = _start(client, campaign, sketchbook)
    _browser_confirms(pledge, factories.CARD_REQUIRES_3DS)
    complete_test_3ds_setup(get_gateway(), pledge.setup_intent_id, succeed=False)  # "Fail authentication"

    response = client.post(
        f"/me/pledges/{pledge.pk}/confirm/",
        {
            "error_code": "",
            "error_message": "The latest attempt to set up the payment method has failed "
            "because authentication failed.",
        },
    )

    assert response["Location"] == f"/me/pledges/{pledge.pk}/card/"
    assert Pledge.objects.get(pk=pledge.pk).state == Pledge.State.PENDING
    assert RewardTier.objects.get(pk=sketchbook.pk).claimed == 1
    page = client.get(response["Location"])
    assert "Your bank did not confirm this card (the 3-D Secure check was not completed)." in page.text
    assert "your pledge still waits for a card that works" in page.text


def test_a_lapsed_hold_explains_itself_and_offers_to_start_again(campaign, backer):
    sketchbook = campaign.rewards.get(title="Sketchbook")
    client = logged_in(backer)
    pledge = _start(client, campaign, sketchbook, amount="35.00")
    Pledge.objects.filter(pk=pledge.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    page = client.get(f"/me/pledges/{pledge.pk}/card/")

    assert page.status_code == 410
    assert "Your hold lapsed" in page.text
    assert "No card was saved within 5 minutes of starting this pledge, so it lapsed" in page.text
    assert "and the reward went back to the other backers. Nothing was charged." in page.text
    # Start again: the same tier, amount and destination.
    assert (
        f'href="/campaigns/{campaign.slug}/pledge/?amount=35.00&amp;reward={sketchbook.pk}&amp;country=US"' in page.text
    )
    lapsed = Pledge.objects.get(pk=pledge.pk)
    assert (lapsed.state, lapsed.end_reason) == (Pledge.State.CANCELED, Pledge.EndReason.EXPIRED)
    assert RewardTier.objects.get(pk=sketchbook.pk).claimed == 0

    restart = client.get(f"/campaigns/{campaign.slug}/pledge/?amount=35.00&reward={sketchbook.pk}&country=US")
    assert restart.status_code == 200
    assert 'value="35.00"' in restart.text
    assert '<option value="US" selected>' in restart.text


def test_a_card_confirmed_after_the_hold_lapsed_lands_on_the_explanation(campaign, backer):
    sketchbook = campaign.rewards.get(title="Sketchbook")
    client = logged_in(backer)
    pledge = _start(client, campaign, sketchbook)
    Pledge.objects.filter(pk=pledge.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(stripe.CardError):
        _browser_confirms(pledge, factories.CARD_DECLINES_AT_SETUP)

    response = client.post(f"/me/pledges/{pledge.pk}/confirm/", {"error_code": "card_declined"})

    assert response["Location"] == f"/me/pledges/{pledge.pk}/card/"
    assert client.get(response["Location"]).status_code == 410
    assert RewardTier.objects.get(pk=sketchbook.pk).claimed == 0


def test_the_hold_notice_shows_only_for_a_limited_tier(campaign, backer):
    client = logged_in(backer)
    limited = _start(client, campaign, campaign.rewards.get(title="Sketchbook"))
    assert "We hold your reward for" in client.get(f"/me/pledges/{limited.pk}/card/").text
    client.post(f"/me/pledges/{limited.pk}/cancel/")

    unlimited = _start(client, campaign, campaign.rewards.get(title="Postcard"), amount="5.00", form="t-2")
    page = client.get(f"/me/pledges/{unlimited.pk}/card/")

    assert page.status_code == 200
    assert "We hold your reward" not in page.text
    assert 'id="hold-notice"' not in page.text


def test_api_confirm_after_a_declined_card_is_402_and_the_pledge_takes_another_card(campaign, backer):
    sketchbook = campaign.rewards.get(title="Sketchbook")
    api = client_for(backer)
    created = api.post(
        "/api/pledges/",
        {"campaign": campaign.pk, "reward": sketchbook.pk, "amount": "30.00", "shipping_country": "US"},
        format="json",
    )
    pledge = Pledge.objects.get(pk=created.json()["id"])
    with pytest.raises(stripe.CardError):
        _browser_confirms(pledge, factories.CARD_DECLINES_AT_SETUP)

    refused = api.post(f"/api/pledges/{pledge.pk}/confirm/")

    assert refused.status_code == 402
    assert refused.json()["code"] == "card_declined"
    again = api.get(f"/api/pledges/{pledge.pk}/").json()
    assert again["state"] == "pending"
    assert again["client_secret"] not in ("", None, created.json()["client_secret"])
    _browser_confirms(Pledge.objects.get(pk=pledge.pk), factories.CARD_SUCCEEDS)
    assert api.post(f"/api/pledges/{pledge.pk}/confirm/").json()["state"] == "active"
    assert RewardTier.objects.get(pk=sketchbook.pk).claimed == 1


# --- changing to a dearer tier ------------------------------------------------------------------


def test_switching_to_a_dearer_tier_raises_an_amount_left_as_it_was(campaign, backer):
    postcard, sketchbook = campaign.rewards.get(title="Postcard"), campaign.rewards.get(title="Sketchbook")
    pledge = factories.PledgeFactory(campaign=campaign, backer=backer, amount="10.00", reward=postcard)
    client = logged_in(backer)

    response = client.post(
        f"/me/pledges/{pledge.pk}/change/", {"reward": sketchbook.pk, "amount": "10.00", "shipping_country": "US"}
    )

    assert response["Location"] == f"/me/pledges/{pledge.pk}/"
    pledge.refresh_from_db()
    assert (pledge.amount, pledge.reward_id) == (Decimal("30.00"), sketchbook.pk)
    campaign.refresh_from_db()
    assert campaign.pledged == Decimal("30.00")
    page = client.get(response["Location"])
    assert "Your pledge is changed. Sketchbook needs at least $30.00, so your pledge is now $30.00." in page.text
    assert 'data-minimum="25.00"' in page.text  # the form fills it in (with the shipping) as the tier is chosen


def test_switching_to_a_dearer_tier_with_a_typed_amount_below_it_is_refused(campaign, backer):
    postcard, sketchbook = campaign.rewards.get(title="Postcard"), campaign.rewards.get(title="Sketchbook")
    pledge = factories.PledgeFactory(campaign=campaign, backer=backer, amount="10.00", reward=postcard)

    response = logged_in(backer).post(
        f"/me/pledges/{pledge.pk}/change/", {"reward": sketchbook.pk, "amount": "12.00", "shipping_country": "US"}
    )

    assert response.status_code == 400
    assert "This reward needs a pledge of at least 30.00 USD (25.00 plus 5.00 shipping)." in response.text
    pledge.refresh_from_db()
    assert (pledge.amount, pledge.reward_id) == (Decimal("10.00"), postcard.pk)


def test_api_switching_to_a_dearer_tier_without_an_amount_raises_it(campaign, backer):
    postcard, sketchbook = campaign.rewards.get(title="Postcard"), campaign.rewards.get(title="Sketchbook")
    pledge = factories.PledgeFactory(campaign=campaign, backer=backer, amount="10.00", reward=postcard)

    body = {"reward": sketchbook.pk, "shipping_country": "US"}  # a tier that ships needs a destination
    response = client_for(backer).patch(f"/api/pledges/{pledge.pk}/", body, format="json")

    assert response.status_code == 200, response.json()
    assert (response.json()["amount"], response.json()["reward"]) == ("30.00", sketchbook.pk)
