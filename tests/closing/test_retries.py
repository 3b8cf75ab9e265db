"""A provider that answers 429 or not at all (the budget shared by all workers: tests/pledges/test_ratelimit.py)."""

from decimal import Decimal

import pytest

from closing.services import collection
from pledges.models import Charge, Pledge
from pledges.payments import RateLimited, get_gateway
from tests import factories
from tests.support.http import error_handler, http_server
from tests.support.payments import flush_localstripe, succeeded_payment_intents


@pytest.mark.django_db
def test_a_429_leaves_the_attempt_in_flight_and_the_retry_charges_once(settings):
    flush_localstripe(get_gateway())  # the retry lists every PaymentIntent: keep localstripe's store small
    campaign = factories.LiveCampaignFactory(goal=Decimal("10"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="10")
    factories.closed(campaign)
    localstripe = settings.STRIPE_API_BASE

    with http_server(error_handler(429)) as busy:
        settings.STRIPE_API_BASE = busy
        with pytest.raises(RateLimited):
            collection.pledge_collect(pledge_id=pledge.pk)

    charge = Charge.objects.get(pledge=pledge)
    assert charge.state == Charge.State.PROCESSING
    assert charge.submitted_at is not None  # it may have reached Stripe: the retry looks first
    settings.STRIPE_API_BASE = localstripe
    assert collection.pledge_collect(pledge_id=pledge.pk).state == Charge.State.SUCCEEDED
    assert Charge.objects.filter(pledge=pledge).count() == 1
    assert len(succeeded_payment_intents(get_gateway(), pledge.stripe_customer_id, pledge.pk)) == 1
    assert Pledge.objects.get(pk=pledge.pk).state == Pledge.State.COLLECTED
