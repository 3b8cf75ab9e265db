"""The change-card page of an errored pledge reuses its open SetupIntent instead of creating one
at every visit (issue 18, item 5.1). The API has no equivalent: its /payment-method/ takes a
PaymentMethod id and saves it in the same call."""

import re
from decimal import Decimal

import pytest
from django.test import Client

from closing.services import campaign_close_now, collection
from pledges.models import Pledge
from pledges.payments import get_gateway
from tests import factories
from tests.support.payments import complete_test_3ds_setup, stripe_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def errored():
    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="20.00", card=factories.CARD_DECLINES_ON_CHARGE)
    campaign_close_now(campaign_id=campaign.pk)
    collection.pledge_collect(pledge_id=pledge.pk)
    pledge = Pledge.objects.get(pk=pledge.pk)
    assert pledge.state == Pledge.State.ERRORED
    return pledge


def _page(pledge: Pledge) -> tuple[str, str]:
    client = Client()
    client.force_login(pledge.backer)
    page = client.get(f"/me/pledges/{pledge.pk}/payment-method/")
    assert page.status_code == 200
    secret = re.search(r'data-client-secret="([^"]+)"', page.text).group(1)
    setup_intent = re.search(r'name="setup_intent" value="([^"]+)"', page.text).group(1)
    return secret, setup_intent


def _setup_intents_at_provider(pledge: Pledge) -> list[str]:
    """Every SetupIntent the provider holds that was made for this pledge's new card."""
    listing = stripe_client(get_gateway()).v1.setup_intents.list(params={"limit": 100}).auto_paging_iter()
    return [
        intent.id for intent in listing if (intent.to_dict().get("metadata") or {}).get("pledge_id") == str(pledge.pk)
    ]


def test_visiting_the_change_card_page_again_reuses_its_setup_intent(errored):
    visits = [_page(errored) for _ in range(3)]

    assert len(set(visits)) == 1
    (made,) = _setup_intents_at_provider(errored)
    assert visits[0][1] == made
    assert Pledge.objects.get(pk=errored.pk).card_setup_intent_id == made


def test_a_setup_intent_that_can_no_longer_take_a_card_is_replaced_once(errored):
    _secret, first = _page(errored)
    complete_test_3ds_setup(get_gateway(), first, succeed=False)  # the browser gave up: canceled

    visits = [_page(errored) for _ in range(2)]

    assert visits[0] == visits[1]
    assert visits[0][1] != first
    assert sorted(_setup_intents_at_provider(errored)) == sorted([first, visits[0][1]])
