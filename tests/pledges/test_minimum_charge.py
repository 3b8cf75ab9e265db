"""Pledges below the provider's smallest charge in their currency are refused up front,
not discovered at the deadline."""

from decimal import Decimal

import pytest

from core.money import MINIMUM_CHARGE, SUPPORTED_CURRENCIES, minimum_charge, quantize
from pledges.models import Pledge
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _pledge(currency: str, amount: str):
    campaign = factories.LiveCampaignFactory(goal=Decimal("1000"), currency=currency)
    body = {"campaign": campaign.pk, "amount": amount, "payment_method": factories.payment_method()}
    return client_for(factories.UserFactory()).post("/api/pledges/", body, format="json")


@pytest.mark.parametrize(
    ("currency", "too_small", "smallest", "message"),
    [
        ("USD", "0.49", "0.50", "amount is too small: card payments in USD start at 0.50."),
        ("EUR", "0.49", "0.50", "amount is too small: card payments in EUR start at 0.50."),
        ("GBP", "0.29", "0.30", "amount is too small: card payments in GBP start at 0.30."),
        ("JPY", "49", "50", "amount is too small: card payments in JPY start at 50."),
    ],
)
def test_a_pledge_below_the_minimum_charge_is_a_clear_400(currency, too_small, smallest, message):
    refused = _pledge(currency, too_small)
    accepted = _pledge(currency, smallest)

    assert refused.status_code == 400
    assert refused.json() == {"detail": message, "code": "below_minimum_charge"}
    assert (accepted.status_code, accepted.json()["amount"]) == (201, smallest)
    assert Pledge.objects.count() == 1


def test_changing_a_pledge_below_the_minimum_is_refused_too():
    campaign = factories.LiveCampaignFactory(goal=Decimal("1000"))
    client = client_for(factories.UserFactory())
    pledge = client.post(
        "/api/pledges/", {"campaign": campaign.pk, "amount": "5.00", "payment_method": factories.payment_method()}
    ).json()

    response = client.patch(f"/api/pledges/{pledge['id']}/", {"amount": "0.10"}, format="json")

    assert (response.status_code, response.json()["code"]) == (400, "below_minimum_charge")
    assert Pledge.objects.get(pk=pledge["id"]).amount == Decimal("5.00")


def test_every_supported_currency_has_an_exact_minimum():
    assert set(MINIMUM_CHARGE) == set(SUPPORTED_CURRENCIES)
    for currency in SUPPORTED_CURRENCIES:
        smallest = minimum_charge(currency)
        assert smallest > 0, currency
        assert smallest == quantize(smallest, currency), currency  # chargeable as it stands
