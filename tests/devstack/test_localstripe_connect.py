"""The Connect emulator (devstack.localstripe_connect) through the real ``stripe`` SDK.

A localstripe of its own (devstack.localstripe_server, as devstack starts it, with the fee at
Stripe's US pricing, 2.9 % + 30) and a webhook endpoint of its own, so that the events it
registers for never reach another test's localstripe. Expected amounts are worked out by hand.
"""

import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
import stripe

from devstack.process import free_port

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_SECRET = "whsec_connect_test"
RETURN_URL = "https://pledgeboard.example/payouts/return"
REFRESH_URL = "https://pledgeboard.example/payouts/refresh"
FEE_ARGS = ["--fee-percent", "2.9", "--fee-fixed", "30"]


@contextmanager
def running_emulator(*args: str):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack.localstripe_server", "--port", str(port), *args],
        cwd=ROOT,
        # Stripe's rate limits off: these tests make transfers faster than 25 a second.
        env={
            **os.environ,
            "STRIPE_LATENCY_MS": "0",
            "LOCALSTRIPE_RATE_LIMIT": "0",
            "LOCALSTRIPE_OPERATION_RATE_LIMIT": "0",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{url}/_config/webhooks/none", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def emulator():
    with running_emulator(*FEE_ARGS) as url:
        yield url


@pytest.fixture
def base(emulator):
    requests.delete(f"{emulator}/_config/data", timeout=10).raise_for_status()
    return emulator


@pytest.fixture
def client(base) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_connect", base_addresses={"api": base}, max_network_retries=0)


@pytest.fixture
def webhooks(base):
    """Events as delivered: (Stripe-Signature header, raw body), in order of arrival."""
    received: list[tuple[str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers["Stripe-Signature"], body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}/stripe/webhook"
    requests.post(
        f"{base}/_config/webhooks/connect_test", json={"url": endpoint, "secret": WEBHOOK_SECRET}, timeout=10
    ).raise_for_status()
    yield received
    requests.post(
        f"{base}/_config/webhooks/connect_test",
        json={"url": endpoint, "secret": WEBHOOK_SECRET, "events": []},
        timeout=10,
    ).raise_for_status()
    server.shutdown()


def express_account(client, email="creator@example.com", country="US"):
    return client.v1.accounts.create(
        params={
            "type": "express",
            "country": country,
            "email": email,
            "capabilities": {"transfers": {"requested": True}},
        }
    )


def onboarding_link(client, account_id):
    return client.v1.account_links.create(
        params={
            "account": account_id,
            "refresh_url": REFRESH_URL,
            "return_url": RETURN_URL,
            "type": "account_onboarding",
        }
    )


def onboarded_account(client, **kwargs):
    account = express_account(client, **kwargs)
    response = requests.post(
        onboarding_link(client, account.id).url, data={"action": "complete"}, allow_redirects=False, timeout=10
    )
    assert response.status_code == 303
    return client.v1.accounts.retrieve(account.id)


def charge(client, amount, currency="usd", **extra):
    """A backer's card charged on the platform; the PaymentIntent with its charge's balance transaction."""
    customer = client.v1.customers.create(params={"email": "backer@example.com"})
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"}
    payment_method = client.v1.payment_methods.create(params={"type": "card", "card": card})
    intent = client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": currency,
            "customer": customer.id,
            "payment_method": payment_method.id,
            "confirm": True,
            "off_session": True,
            **extra,
        }
    )
    assert intent.status == "succeeded"
    return client.v1.payment_intents.retrieve(intent.id, params={"expand": ["latest_charge.balance_transaction"]})


def available(client, currency="usd", **options):
    entries = client.v1.balance.retrieve(options=options).available
    return {entry.currency: entry.amount for entry in entries}[currency]


def events_of(client, type):
    return [event for event in client.v1.events.list(params={"limit": 100}).data if event.type == type]


# -- accounts and onboarding ------------------------------------------------------------------


def test_a_new_express_account_is_incomplete_until_onboarded(client):
    account = express_account(client)

    assert account.id.startswith("acct_")
    assert account.object == "account"
    assert account.type == "express"
    assert account.country == "US"
    assert account.email == "creator@example.com"
    assert account.default_currency == "usd"
    assert (account.details_submitted, account.charges_enabled, account.payouts_enabled) == (False, False, False)
    assert account.capabilities.to_dict() == {"transfers": "inactive"}
    assert account.requirements.disabled_reason == "requirements.past_due"
    assert "external_account" in account.requirements.currently_due
    assert "tos_acceptance.date" in account.requirements.past_due
    assert client.v1.accounts.retrieve(account.id).to_dict() == account.to_dict()
    assert [a.id for a in client.v1.accounts.list().data] == [account.id]


def test_an_account_can_be_deleted_and_is_then_unknown(client):
    account = express_account(client)

    deleted = client.v1.accounts.delete(account.id)

    assert (deleted.id, deleted.object, deleted.deleted) == (account.id, "account", True)
    # Stripe answers an account it does not know as one the key may not see.
    with pytest.raises(stripe.PermissionError) as error:
        client.v1.accounts.retrieve(account.id)
    assert error.value.http_status == 403
    assert error.value.json_body["error"]["code"] == "account_invalid"  # the SDK leaves .code empty on a 403
    assert f"does not have access to account '{account.id}'" in error.value.user_message


def test_an_account_update_merges_metadata_and_says_what_changed(client):
    account = client.v1.accounts.create(
        params={
            "type": "express",
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"user_id": "5", "campaign": "7"},
        }
    )

    updated = client.v1.accounts.update(account.id, params={"metadata": {"campaign": "", "note": "x"}})

    assert updated.metadata.to_dict() == {"user_id": "5", "note": "x"}
    event = events_of(client, "account.updated")[-1].to_dict()
    assert event["data"]["previous_attributes"] == {"metadata": {"user_id": "5", "campaign": "7"}}
    client.v1.accounts.update(account.id, params={"metadata": {"note": "x"}})  # nothing changes: no event
    assert len(events_of(client, "account.updated")) == 1


def test_only_express_accounts_with_a_capability_are_made(client):
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.accounts.create(params={"type": "express", "country": "US"})
    assert (error.value.http_status, error.value.param) == (400, "capabilities")
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.accounts.create(params={"type": "custom", "capabilities": {"transfers": {"requested": True}}})
    assert error.value.param == "type"
    assert client.v1.accounts.list().data == []


def test_onboarding_page_completes_the_account_and_returns(client):
    account = express_account(client)
    link = onboarding_link(client, account.id)
    assert link.object == "account_link"
    assert link.expires_at - link.created == 300

    page = requests.get(link.url, timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Complete onboarding" in page.text and "Abandon" in page.text
    assert account.id in page.text

    done = requests.post(link.url, data={"action": "complete"}, allow_redirects=False, timeout=10)
    assert (done.status_code, done.headers["Location"]) == (303, RETURN_URL)

    account = client.v1.accounts.retrieve(account.id)
    assert (account.details_submitted, account.charges_enabled, account.payouts_enabled) == (True, False, True)
    assert account.capabilities.to_dict() == {"transfers": "active"}
    assert account.requirements.currently_due == []
    assert account.requirements.past_due == []
    assert account.requirements.disabled_reason is None
    # A link is used once: opened again, it sends the creator to refresh_url for a new one.
    again = requests.get(link.url, allow_redirects=False, timeout=10)
    assert (again.status_code, again.headers["Location"]) == (302, REFRESH_URL)


def test_abandoned_onboarding_goes_to_refresh_url_and_leaves_the_account_incomplete(client):
    account = express_account(client)
    link = onboarding_link(client, account.id)

    gone = requests.post(link.url, data={"action": "abandon"}, allow_redirects=False, timeout=10)

    assert (gone.status_code, gone.headers["Location"]) == (303, REFRESH_URL)
    account = client.v1.accounts.retrieve(account.id)
    assert (account.details_submitted, account.payouts_enabled) == (False, False)
    assert account.requirements.disabled_reason == "requirements.past_due"
    assert events_of(client, "account.updated") == []


def test_account_links_need_a_known_account_and_urls(client):
    with pytest.raises(stripe.InvalidRequestError) as error:
        onboarding_link(client, "acct_unknown")
    assert (error.value.http_status, error.value.code, error.value.param) == (400, "resource_missing", "account")
    account = express_account(client)
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.account_links.create(params={"account": account.id, "type": "account_onboarding"})
    assert (error.value.code, error.value.param) == ("parameter_missing", "refresh_url")


def test_a_restricted_account_cannot_receive_transfers(client, base):
    account = onboarded_account(client)
    charge(client, 10_000)

    restricted = requests.post(
        f"{base}/_config/accounts/{account.id}/restrict", data={"disabled_reason": "rejected.fraud"}, timeout=10
    )

    assert restricted.status_code == 200
    account = client.v1.accounts.retrieve(account.id)
    assert (account.payouts_enabled, account.charges_enabled) == (False, False)
    assert account.requirements.disabled_reason == "rejected.fraud"
    assert account.capabilities.transfers == "inactive"
    updated = events_of(client, "account.updated")[-1].to_dict()
    assert updated["account"] == account.id
    assert updated["data"]["object"]["payouts_enabled"] is False
    assert updated["data"]["previous_attributes"]["payouts_enabled"] is True

    response = requests.post(
        f"{base}/v1/transfers",
        data={"amount": 1000, "currency": "usd", "destination": account.id},
        auth=("sk_test_connect", ""),
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "insufficient_capabilities_for_transfer",
            "doc_url": "https://stripe.com/docs/error-codes/insufficient-capabilities-for-transfer",
            "message": "Your destination account needs to have at least one of the following capabilities enabled: "
            "transfers, crypto_transfers, legacy_payments",
            "param": "destination",
            "type": "invalid_request_error",
        }
    }
    # Onboarding again (a new link) lifts the restriction.
    onboarded = requests.post(
        onboarding_link(client, account.id).url, data={"action": "complete"}, allow_redirects=False, timeout=10
    )
    assert onboarded.status_code == 303
    assert client.v1.accounts.retrieve(account.id).payouts_enabled is True


def test_a_login_link_opens_the_dashboard_page_once_onboarded(client):
    account = express_account(client)
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.accounts.login_links.create(account.id)
    assert error.value.http_status == 400

    account = onboarded_account(client)
    login = client.v1.accounts.login_links.create(account.id)

    assert login.object == "login_link"
    page = requests.get(login.url, timeout=10)
    assert page.status_code == 200
    assert account.id in page.text


# -- fees and balance -----------------------------------------------------------------------


def test_a_charge_balance_transaction_carries_stripes_us_fee(client):
    intent = charge(client, 10_000)

    txn = intent.latest_charge.balance_transaction
    assert txn.object == "balance_transaction"
    assert (txn.amount, txn.fee, txn.net) == (10_000, 320, 9_680)  # 290 + 30
    assert [detail.to_dict() for detail in txn.fee_details] == [
        {
            "amount": 320,
            "application": None,
            "currency": "usd",
            "description": "Stripe processing fees",
            "type": "stripe_fee",
        }
    ]
    assert client.v1.balance_transactions.retrieve(txn.id).net == 9_680


def test_the_fee_rounds_half_up(client):
    assert charge(client, 500).latest_charge.balance_transaction.fee == 45  # 14.5 -> 15, + 30
    assert charge(client, 1_050).latest_charge.balance_transaction.fee == 60  # 30.45 -> 30, + 30


def test_the_fee_and_the_pages_address_are_options():
    with running_emulator("--fee-percent", "1.4", "--fee-fixed", "25", "--public-url", "http://localhost:9999/") as url:
        client = stripe.StripeClient("sk_test_connect", base_addresses={"api": url}, max_network_retries=0)
        assert charge(client, 10_000).latest_charge.balance_transaction.fee == 165  # 140 + 25
        link = onboarding_link(client, express_account(client).id)
        assert link.url.startswith("http://localhost:9999/connect/setup/e/")


def test_balance_is_net_of_fees_refunds_and_transfers_plus_reversals(client):
    assert available(client) == 0
    charge(client, 10_000)  # net 9,680
    refunded = charge(client, 5_000)  # fee 145 + 30: net 4,825
    charge(client, 2_000, "eur")  # fee 58 + 30: net 1,912
    assert available(client) == 14_505
    assert available(client, "eur") == 1_912

    account = onboarded_account(client)
    transfer = client.v1.transfers.create(params={"amount": 6_000, "currency": "usd", "destination": account.id})
    client.v1.transfers.reversals.create(transfer.id, params={"amount": 1_500})
    client.v1.refunds.create(params={"payment_intent": refunded.id})  # Stripe keeps the fee

    assert available(client) == 14_505 - 6_000 + 1_500 - 5_000
    balance = client.v1.balance.retrieve()
    assert [(entry.currency, entry.amount) for entry in balance.pending] == [("eur", 0), ("usd", 0)]
    # The connected account's own balance: what it was sent, less what was taken back.
    assert available(client, stripe_account=account.id) == 4_500


# -- transfers ------------------------------------------------------------------------------


def test_transfer_is_stripe_shaped_and_listed_by_transfer_group(client):
    charge(client, 10_000)
    account = onboarded_account(client)

    first = client.v1.transfers.create(
        params={
            "amount": 1_000,
            "currency": "usd",
            "destination": account.id,
            "transfer_group": "campaign_7",
            "metadata": {"payout_id": "11"},
        }
    )
    second = client.v1.transfers.create(
        params={"amount": 2_000, "currency": "usd", "destination": account.id, "transfer_group": "campaign_7"}
    )
    third = client.v1.transfers.create(
        params={"amount": 3_000, "currency": "usd", "destination": account.id, "transfer_group": "campaign_8"}
    )

    assert first.id.startswith("tr_")
    assert (first.object, first.amount, first.currency, first.destination) == ("transfer", 1_000, "usd", account.id)
    assert (first.amount_reversed, first.reversed, first.transfer_group) == (0, False, "campaign_7")
    assert first.metadata.to_dict() == {"payout_id": "11"}
    assert first.balance_transaction.startswith("txn_")
    txn = client.v1.balance_transactions.retrieve(first.balance_transaction)
    assert (txn.type, txn.amount, txn.fee, txn.source) == ("transfer", -1_000, 0, first.id)
    assert client.v1.transfers.retrieve(first.id).to_dict() == first.to_dict()
    listed = client.v1.transfers.list(params={"transfer_group": "campaign_7"}).data
    assert [t.id for t in listed] == [second.id, first.id]
    # Pages (the SDK's auto-paging asks for starting_after the last one), newest first.
    page = client.v1.transfers.list(params={"limit": 2})
    assert (len(page.data), page.has_more) == (2, True)
    assert [t.id for t in page.auto_paging_iter()] == [third.id, second.id, first.id]


def test_payment_intents_and_their_charges_carry_a_transfer_group(client):
    intent = charge(client, 1_000, transfer_group="campaign_7")

    assert intent.transfer_group == "campaign_7"
    assert intent.latest_charge.transfer_group == "campaign_7"
    assert client.v1.charges.retrieve(intent.latest_charge.id).transfer_group == "campaign_7"
    assert charge(client, 1_000).transfer_group is None
    updated = client.v1.payment_intents.update(intent.id, params={"transfer_group": "campaign_8"})
    assert updated.transfer_group == "campaign_8"


def test_an_idempotency_key_replays_the_same_transfer(client):
    charge(client, 10_000)
    account = onboarded_account(client)
    params = {"amount": 4_000, "currency": "usd", "destination": account.id, "transfer_group": "campaign_7"}

    first = client.v1.transfers.create(params=params, options={"idempotency_key": "payout-11"})
    again = client.v1.transfers.create(params=params, options={"idempotency_key": "payout-11"})

    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(client.v1.transfers.list().data) == 1
    assert available(client) == 9_680 - 4_000
    assert len(events_of(client, "transfer.created")) == 1
    with pytest.raises(stripe.IdempotencyError):
        client.v1.transfers.create(params={**params, "amount": 4_001}, options={"idempotency_key": "payout-11"})
    assert len(client.v1.transfers.list().data) == 1


def test_a_transfer_beyond_the_available_balance_is_refused_as_stripe_does(client, base):
    charge(client, 1_000)  # net 1,000 - 59 = 941
    account = onboarded_account(client)

    response = requests.post(
        f"{base}/v1/transfers",
        data={"amount": 942, "currency": "usd", "destination": account.id},
        auth=("sk_test_connect", ""),
        headers={"Idempotency-Key": "payout-12"},
        timeout=10,
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "balance_insufficient",
            "doc_url": "https://stripe.com/docs/error-codes/balance-insufficient",
            "message": "You have insufficient available funds in your Stripe account. Try adding funds directly to "
            "your available balance by creating Charges using the 4000000000000077 test card. "
            "See: https://stripe.com/docs/testing#available-balance",
            "type": "invalid_request_error",
        }
    }
    assert client.v1.transfers.list().data == []
    assert available(client) == 941
    # The SDK raises it as an InvalidRequestError with that code; the same key replays the
    # answer even once the money is there, as Stripe stores it: a new attempt needs a new key.
    charge(client, 1_000)
    params = {"amount": 942, "currency": "usd", "destination": account.id}
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.transfers.create(params=params, options={"idempotency_key": "payout-12"})
    assert error.value.code == "balance_insufficient"
    assert client.v1.transfers.create(params=params, options={"idempotency_key": "payout-12b"}).amount == 942


def test_a_transfer_to_an_unknown_or_incomplete_account_is_refused(client):
    charge(client, 10_000)
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.transfers.create(params={"amount": 100, "currency": "usd", "destination": "acct_unknown"})
    assert (error.value.http_status, error.value.code, error.value.param) == (400, "resource_missing", "destination")
    incomplete = express_account(client)
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.transfers.create(params={"amount": 100, "currency": "usd", "destination": incomplete.id})
    assert error.value.code == "insufficient_capabilities_for_transfer"


def test_a_transfer_from_a_source_transaction_draws_on_that_charge(client):
    paid = charge(client, 1_000)
    account = onboarded_account(client)
    client.v1.transfers.create(params={"amount": 941, "currency": "usd", "destination": account.id})
    assert available(client) == 0

    # Tied to the charge, it needs no available balance (Stripe: it waits for the charge's funds) ...
    tied = client.v1.transfers.create(
        params={
            "amount": 600,
            "currency": "usd",
            "destination": account.id,
            "source_transaction": paid.latest_charge.id,
        }
    )
    assert tied.source_transaction == paid.latest_charge.id
    # ... but cannot take more than the charge brought.
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.transfers.create(
            params={
                "amount": 401,
                "currency": "usd",
                "destination": account.id,
                "source_transaction": paid.latest_charge.id,
            }
        )
    assert error.value.param == "amount"


def test_reversals_take_money_back_up_to_the_transfer(client):
    charge(client, 10_000)
    account = onboarded_account(client)
    transfer = client.v1.transfers.create(params={"amount": 5_000, "currency": "usd", "destination": account.id})

    reversal = client.v1.transfers.reversals.create(transfer.id, params={"amount": 2_000, "metadata": {"refund": "3"}})

    assert reversal.id.startswith("trr_")
    assert (reversal.object, reversal.amount, reversal.currency, reversal.transfer) == (
        "transfer_reversal",
        2_000,
        "usd",
        transfer.id,
    )
    txn = client.v1.balance_transactions.retrieve(reversal.balance_transaction)
    assert (txn.type, txn.amount) == ("transfer_refund", 2_000)
    transfer = client.v1.transfers.retrieve(transfer.id)
    assert (transfer.amount_reversed, transfer.reversed) == (2_000, False)
    assert [r.id for r in transfer.reversals.data] == [reversal.id]

    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.transfers.reversals.create(transfer.id, params={"amount": 3_001})
    assert (error.value.http_status, error.value.param) == (400, "amount")

    rest = client.v1.transfers.reversals.create(transfer.id)  # no amount: all that is left
    assert rest.amount == 3_000
    transfer = client.v1.transfers.retrieve(transfer.id)
    assert (transfer.amount_reversed, transfer.reversed) == (5_000, True)
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.transfers.reversals.create(transfer.id, params={"amount": 1})
    assert (error.value.http_status, error.value.param) == (400, "amount")
    listed = client.v1.transfers.reversals.list(transfer.id).data
    assert [r.id for r in listed] == [rest.id, reversal.id]
    assert client.v1.transfers.reversals.retrieve(transfer.id, reversal.id).amount == 2_000
    assert available(client) == 9_680
    assert [e.data.object.amount_reversed for e in events_of(client, "transfer.reversed")] == [2_000, 5_000]


# -- events ---------------------------------------------------------------------------------


def test_connect_events_reach_the_webhook_endpoint_signed(client, webhooks):
    charge(client, 10_000)
    account = onboarded_account(client)
    transfer = client.v1.transfers.create(params={"amount": 1_000, "currency": "usd", "destination": account.id})
    client.v1.transfers.reversals.create(transfer.id, params={"amount": 400})

    def ours(event) -> bool:  # events of earlier tests may still be on their way (sent after 1 s)
        if event.type == "account.updated":
            return event.account == account.id
        return event.type.startswith("transfer.") and event.data.object.id == transfer.id

    deadline = time.monotonic() + 10
    while True:
        events = [stripe.Webhook.construct_event(body, signature, WEBHOOK_SECRET) for signature, body in webhooks]
        by_type = {event.type: event for event in events if ours(event)}
        if len(by_type) == 3 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert set(by_type) == {"account.updated", "transfer.created", "transfer.reversed"}
    assert by_type["account.updated"].data.object.payouts_enabled is True
    assert by_type["account.updated"].data.previous_attributes.payouts_enabled is False
    assert by_type["transfer.created"].data.object.amount == 1_000
    assert by_type["transfer.reversed"].data.object.amount_reversed == 400
    with pytest.raises(stripe.SignatureVerificationError):
        signature, body = webhooks[0]
        stripe.Webhook.construct_event(body, signature, "whsec_someone_else")
