"""A double click or a client retry pledges once, and never costs the winning pledge its card."""

from collections import Counter
from decimal import Decimal

import pytest

from closing.services import campaign_close
from closing.services.collection import pledge_collect
from pledges.models import Charge, IdempotencyKey, Pledge
from pledges.payments import ProviderUnavailable, get_gateway
from pledges.services import customer_for
from tests import factories
from tests.conftest import at_once, client_for

CLICKS = 4


def _saved_card_of(backer) -> tuple[str, str]:
    """A card attached to the backer's Customer, as Stripe attaches it when a SetupIntent succeeds
    (localstripe does not)."""
    customer = customer_for(backer)
    card = factories.payment_method(factories.CARD_SUCCEEDS)
    get_gateway().client.v1.payment_methods.attach(card, params={"customer": customer})
    return customer, card


def _card_owner(card: str) -> str | None:
    owner = get_gateway().client.v1.payment_methods.retrieve(card).customer
    return owner if isinstance(owner, str) or owner is None else owner.id


@pytest.mark.django_db(transaction=True)
def test_a_double_click_pledges_once_and_the_pledge_keeps_its_card():
    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    backer = factories.UserFactory()
    customer, card = _saved_card_of(backer)
    body = {"campaign": campaign.pk, "amount": "25.00", "payment_method": card}

    statuses = at_once(CLICKS, lambda _: client_for(backer).post("/api/pledges/", body, format="json").status_code)

    assert Counter(statuses) == {201: 1, 409: CLICKS - 1}
    pledge = Pledge.objects.get(campaign=campaign, backer=backer)
    assert (pledge.state, pledge.payment_method_id) == (Pledge.State.ACTIVE, card)
    assert _card_owner(card) == customer  # the losers' clean-up left the shared card alone
    factories.ended(campaign)
    campaign_close(campaign_id=campaign.pk)
    charge = pledge_collect(pledge_id=pledge.pk)
    assert charge.state == Charge.State.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_the_same_idempotency_key_at_once_gets_one_pledge_and_the_same_answer():
    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    backer = factories.UserFactory()
    _, card = _saved_card_of(backer)
    body = {"campaign": campaign.pk, "amount": "25.00", "payment_method": card}

    def click(_):
        response = client_for(backer).post("/api/pledges/", body, format="json", HTTP_IDEMPOTENCY_KEY="order-77")
        return response.status_code, response.json()

    answers = at_once(CLICKS, click)

    pledge = Pledge.objects.get(campaign=campaign, backer=backer)
    assert [status for status, _ in answers] == [201] * CLICKS
    assert {answer["id"] for _, answer in answers} == {pledge.pk}
    campaign.refresh_from_db()
    assert (campaign.pledged, campaign.backers_count) == (Decimal("25.00"), 1)


@pytest.mark.django_db
def test_a_retry_with_the_key_gets_the_first_answer_and_another_body_is_refused():
    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    backer = factories.UserFactory()
    client = client_for(backer)
    body = {"campaign": campaign.pk, "amount": "25.00", "payment_method": factories.payment_method()}

    first = client.post("/api/pledges/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    retry = client.post("/api/pledges/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    changed = client.post("/api/pledges/", {**body, "amount": "30.00"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert (changed.status_code, changed.json()["code"]) == (422, "idempotency_key_reused")
    assert Pledge.objects.filter(backer=backer).count() == 1


@pytest.mark.django_db
def test_a_declined_card_stays_declined_for_the_same_key_without_asking_the_provider_again(monkeypatch):
    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    client = client_for(factories.UserFactory())
    body = {"campaign": campaign.pk, "amount": "25.00", "payment_method": factories.payment_method("4000000000000002")}

    first = client.post("/api/pledges/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    monkeypatch.setattr(get_gateway(), "create_setup_intent", _must_not_be_called)
    retry = client.post("/api/pledges/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    assert (first.status_code, first.json()["code"]) == (402, "card_declined")
    assert (retry.status_code, retry.json()) == (402, first.json())


@pytest.mark.django_db
def test_an_answer_that_says_try_again_is_not_kept(monkeypatch):
    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    backer = factories.UserFactory()
    client = client_for(backer)
    body = {"campaign": campaign.pk, "amount": "25.00", "payment_method": factories.payment_method()}
    gateway = get_gateway()
    real = gateway.create_setup_intent

    def outage(**kwargs):
        raise ProviderUnavailable("down")

    monkeypatch.setattr(gateway, "create_setup_intent", outage)
    during = client.post("/api/pledges/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    monkeypatch.setattr(gateway, "create_setup_intent", real)
    after = client.post("/api/pledges/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-3")

    assert (during.status_code, after.status_code) == (503, 201)
    assert IdempotencyKey.objects.get(key="k-3").response_status == 201


def _must_not_be_called(**kwargs):
    raise AssertionError("the provider was asked again")


@pytest.mark.django_db
@pytest.mark.parametrize(("first_amount", "retry_amount"), [("5.0", "5.00"), ("5", "5.00"), (5, "5.0")])
def test_a_retry_that_writes_the_same_amount_otherwise_gets_the_first_answer(first_amount, retry_amount):
    campaign = factories.LiveCampaignFactory(goal=Decimal("10.00"))
    backer = factories.UserFactory()
    client = client_for(backer)
    body = {"campaign": campaign.pk, "payment_method": factories.payment_method()}

    first = client.post("/api/pledges/", {**body, "amount": first_amount}, format="json", HTTP_IDEMPOTENCY_KEY="k-5")
    retry = client.post("/api/pledges/", {**body, "amount": retry_amount}, format="json", HTTP_IDEMPOTENCY_KEY="k-5")
    other = client.post("/api/pledges/", {**body, "amount": "5.01"}, format="json", HTTP_IDEMPOTENCY_KEY="k-5")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert list(Pledge.objects.filter(backer=backer).values_list("amount", flat=True)) == [Decimal("5.00")]
