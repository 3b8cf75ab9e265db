"""A pledge's receipt: its lines (one function, pledges.selectors.pledge_receipt_lines), the page,
its PDF and the API; the backer's own, staff's by permission, nobody else's (404)."""

from decimal import Decimal

import pytest
from django.test import Client

from closing.services import collection
from pledges.models import Charge, Pledge
from pledges.payments import get_gateway
from pledges.selectors import pledge_receipt_lines
from pledges.services import charge_record_refunds
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _collected(*, currency: str, minimum: str, shipping: str, amount: str) -> Pledge:
    campaign = factories.LiveCampaignFactory(
        goal=Decimal("10"),
        currency=currency,
        rewards=[{"title": "Art book", "minimum": Decimal(minimum), "shipping": Decimal(shipping)}],
    )
    pledge = factories.PledgeFactory(campaign=campaign, amount=amount, reward=campaign.rewards.get())
    factories.closed(campaign)
    collection.pledge_collect(pledge_id=pledge.pk)
    return Pledge.objects.get(pk=pledge.pk)


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def yen_pledge():
    return _collected(currency="JPY", minimum="3000", shipping="500", amount="4000")


@pytest.fixture
def euro_pledge():
    return _collected(currency="EUR", minimum="25.00", shipping="4.50", amount="30.00")


def test_the_lines_add_up_to_the_pledge_in_yen_without_decimals(yen_pledge):
    lines = [(line.kind, line.amount) for line in pledge_receipt_lines(yen_pledge)]
    assert lines == [("reward", Decimal("3000")), ("shipping", Decimal("500")), ("extra", Decimal("500"))]

    body = client_for(yen_pledge.backer).get(f"/api/pledges/{yen_pledge.pk}/receipt/").json()

    assert [(line["kind"], line["amount"]) for line in body["lines"]] == [
        ("reward", "3000"),
        ("shipping", "500"),
        ("extra", "500"),
    ]
    assert (body["currency"], body["total"], body["refunded"], body["remaining"]) == ("JPY", "4000", "0", "4000")
    charge = yen_pledge.charges.get(state=Charge.State.SUCCEEDED)
    assert body["payment_intent_id"] == charge.payment_intent_id
    assert body["card_last4"] == "4242"
    assert (body["reward"], body["late"], body["campaign"]) == ("Art book", False, yen_pledge.campaign_id)

    page = browser(yen_pledge.backer).get(f"/me/pledges/{yen_pledge.pk}/receipt/")
    assert page.status_code == 200
    text = page.content.decode()
    assert '<tr data-line="reward"><td>Reward: Art book</td><td class="amount">¥3,000</td></tr>' in text
    assert (
        '<tr data-line="shipping"><td>Shipping to United States of America</td><td class="amount">¥500</td></tr>'
        in text
    )
    assert '<tr data-line="extra"><td>Extra support</td><td class="amount">¥500</td></tr>' in text
    assert '<td class="amount" data-total>¥4,000</td>' in text
    assert "Card ending in 4242" in text
    assert charge.payment_intent_id in text
    assert "receipt.css" in text  # the print stylesheet


def test_a_euro_receipt_shows_cents_and_a_partial_refund(euro_pledge):
    charge = euro_pledge.charges.get(state=Charge.State.SUCCEEDED)
    get_gateway().refund(payment_intent_id=charge.payment_intent_id, idempotency_key="part", amount_minor=450)
    charge_record_refunds(charge_id=charge.pk, refunds=get_gateway().refunds_of(charge.payment_intent_id))

    body = client_for(euro_pledge.backer).get(f"/api/pledges/{euro_pledge.pk}/receipt/").json()
    assert [line["amount"] for line in body["lines"]] == ["25.00", "4.50", "0.50"]
    assert (body["total"], body["refunded"], body["remaining"]) == ("30.00", "4.50", "25.50")

    text = browser(euro_pledge.backer).get(f"/me/pledges/{euro_pledge.pk}/receipt/").content.decode()
    assert '<td class="amount">€25.00</td>' in text
    assert '<td class="amount" data-refunded>&minus;€4.50</td>' in text
    assert '<td class="amount" data-remaining>€25.50</td>' in text


def test_the_receipt_in_german():
    pledge = _collected(currency="EUR", minimum="25.00", shipping="4.50", amount="30.00")

    text = browser(pledge.backer).get(f"/me/pledges/{pledge.pk}/receipt/", HTTP_ACCEPT_LANGUAGE="de").content
    text = text.decode()

    assert "Versand" in text
    assert "25,00\xa0€" in text
    assert "Abgebuchter Betrag" in text


def test_the_pdf_is_a_pdf_with_the_amounts(euro_pledge):
    response = browser(euro_pledge.backer).get(f"/me/pledges/{euro_pledge.pk}/receipt.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert response.content.rstrip().endswith(b"%%EOF")


def test_other_backers_and_strangers_get_404_staff_with_the_permission_see_it(euro_pledge):
    other_backer = factories.PledgeFactory(campaign=factories.LiveCampaignFactory()).backer
    creator = euro_pledge.campaign.creator
    staff_without = factories.StaffFactory(permissions=())
    staff = factories.StaffFactory()
    paths = (
        f"/api/pledges/{euro_pledge.pk}/receipt/",
        f"/me/pledges/{euro_pledge.pk}/receipt/",
        f"/me/pledges/{euro_pledge.pk}/receipt.pdf",
    )

    for path in paths:
        client = client_for if path.startswith("/api/") else browser
        assert client(other_backer).get(path).status_code == 404, path
        assert client(creator).get(path).status_code == 404, path
        assert client(staff_without).get(path).status_code == 404, path
        assert client(staff).get(path).status_code == 200, path
        assert client(euro_pledge.backer).get(path).status_code == 200, path
    assert Client().get(paths[0]).status_code == 401
    assert Client().get(paths[1]).status_code == 302  # to the login page


def test_an_uncharged_pledge_has_no_receipt():
    pledge = factories.PledgeFactory(amount="20.00")

    response = client_for(pledge.backer).get(f"/api/pledges/{pledge.pk}/receipt/")

    assert response.status_code == 404
    assert browser(pledge.backer).get(f"/me/pledges/{pledge.pk}/receipt/").status_code == 404


def test_a_pledge_without_a_reward_is_one_line():
    campaign = factories.LiveCampaignFactory(goal=Decimal("10"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="12.00")

    assert [(line.kind, line.amount) for line in pledge_receipt_lines(pledge)] == [("pledge", Decimal("12.00"))]
