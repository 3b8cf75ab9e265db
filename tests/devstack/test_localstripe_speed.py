"""localstripe with its store kept by kind (devstack/localstripe_speed.py) answers as before:
each charge its own refunds, a listing every object of its kind in the order made, nothing
after a delete or a flush; a snapshot of its store (devstack/localstripe_snapshot.py) comes back
as it was taken."""

import pytest
import requests
import stripe

from tests.devstack.test_localstripe_limits import _start


@pytest.fixture
def emulator():
    process, url = _start({"LOCALSTRIPE_RATE_LIMIT": "0", "LOCALSTRIPE_OPERATION_RATE_LIMIT": "0"})
    yield url
    process.terminate()
    process.wait(timeout=10)


def _charge(client: stripe.StripeClient, email: str, amount: int):
    customer = client.v1.customers.create(params={"email": email})
    card = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
    )
    client.v1.payment_methods.attach(card.id, params={"customer": customer.id})
    params = {"amount": amount, "currency": "usd", "customer": customer.id, "payment_method": card.id}
    intent = client.v1.payment_intents.create(params=params | {"payment_method_types": ["card"], "confirm": True})
    return customer, intent


def _charge_id(client: stripe.StripeClient, intent_id: str) -> str:
    charge = client.v1.payment_intents.retrieve(intent_id).latest_charge
    return charge if isinstance(charge, str) else charge.id


def test_refunds_listings_deletes_and_a_flush_answer_as_before(emulator):
    client = stripe.StripeClient("sk_test_speed", base_addresses={"api": emulator}, max_network_retries=0)
    first, refunded = _charge(client, "a@example.com", 5000)
    second, untouched = _charge(client, "b@example.com", 3000)
    client.v1.refunds.create(params={"payment_intent": refunded.id, "amount": 1000})
    client.v1.refunds.create(params={"payment_intent": refunded.id, "amount": 1500})

    charge = client.v1.charges.retrieve(_charge_id(client, refunded.id))
    other = client.v1.charges.retrieve(_charge_id(client, untouched.id))
    assert (charge.amount_refunded, sorted(r.amount for r in charge.refunds.data)) == (2500, [1000, 1500])
    assert (other.amount_refunded, other.refunds.data) == (0, [])
    assert [c.id for c in client.v1.customers.list(params={"limit": 10}).data] == [first.id, second.id]
    assert len(client.v1.refunds.list(params={"limit": 10}).data) == 2

    client.v1.customers.delete(first.id)
    assert [c.id for c in client.v1.customers.list(params={"limit": 10}).data] == [second.id]

    requests.delete(f"{emulator}/_config/data", timeout=10).raise_for_status()
    assert client.v1.customers.list(params={"limit": 10}).data == []
    assert client.v1.payment_intents.list(params={"limit": 10}).data == []


def test_a_snapshot_puts_back_what_was_stored_and_nothing_made_after_it(emulator):
    """devstack/localstripe_snapshot.py, for the tests that build their data once per module."""
    client = stripe.StripeClient("sk_test_speed", base_addresses={"api": emulator}, max_network_retries=0)
    kept, intent = _charge(client, "kept@example.com", 5000)
    requests.post(f"{emulator}/_config/snapshot", timeout=10).raise_for_status()
    client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1000})
    _charge(client, "later@example.com", 3000)
    client.v1.customers.delete(kept.id)

    requests.post(f"{emulator}/_config/snapshot/restore", timeout=10).raise_for_status()

    assert [c.id for c in client.v1.customers.list(params={"limit": 10}).data] == [kept.id]
    assert [i.id for i in client.v1.payment_intents.list(params={"limit": 10}).data] == [intent.id]
    assert client.v1.charges.retrieve(_charge_id(client, intent.id)).amount_refunded == 0
    assert client.v1.refunds.list(params={"limit": 10}).data == []
    # Again: a change made after the first restore (to the stored object itself) left the snapshot as it was.
    client.v1.customers.update(kept.id, params={"name": "Changed"})
    requests.post(f"{emulator}/_config/snapshot/restore", timeout=10).raise_for_status()
    assert client.v1.customers.retrieve(kept.id).name is None

    requests.delete(f"{emulator}/_config/snapshot", timeout=10).raise_for_status()
    assert requests.post(f"{emulator}/_config/snapshot/restore", timeout=10).status_code == 409
