"""The Stripe gateway against localstripe (STRIPE_API_BASE of the test profile).

No database. Every test makes its own customer and keys, so they don't depend on
what else is in localstripe's store.
"""

import json
import time
import uuid
from http.server import BaseHTTPRequestHandler

import pytest
import stripe
from django.conf import settings

from pledges.payments import (
    CardDeclined,
    ChargeResult,
    InvalidWebhook,
    PaymentError,
    ProviderUnavailable,
    RateLimited,
    get_gateway,
)
from pledges.payments.stripe_gateway import StripeGateway
from tests.support.http import canned_stripe, error_handler, http_server, recording_proxy
from tests.support.payments import (
    CARD_DECLINES_AT_SETUP,
    CARD_DECLINES_ON_CHARGE,
    CARD_REQUIRES_3DS,
    CARD_SUCCEEDS,
    card_payment_method,
    complete_test_3ds_setup,
)


@pytest.fixture
def gateway():
    return get_gateway()


@pytest.fixture
def customer(gateway) -> str:
    return gateway.create_customer(email="backer@example.com", name="A Backer", metadata={"user": "1"})


def saved_card(gateway, customer: str, number: str) -> str:
    """The id of a card saved through a succeeded SetupIntent."""
    payment_method = card_payment_method(gateway, number)
    setup = gateway.create_setup_intent(customer_id=customer, payment_method_id=payment_method, metadata={})
    if setup.requires_action:
        setup = complete_test_3ds_setup(gateway, setup.id)
    assert setup.succeeded
    return setup.payment_method_id


def new_key() -> str:
    return f"pledge:{uuid.uuid4().hex}:charge:1"


def charge(gateway, customer: str, card: str, key: str, amount: int = 2500):
    return gateway.charge_off_session(
        customer_id=customer,
        payment_method_id=card,
        amount_minor=amount,
        currency="USD",
        idempotency_key=key,
        metadata={"pledge": "1"},
    )


def test_get_gateway_is_cached(gateway):
    assert get_gateway() is gateway


def test_get_gateway_follows_settings_changes(settings):
    before = get_gateway()
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    assert get_gateway() is not before
    assert get_gateway().api_base == "http://127.0.0.1:9"


def test_ping(gateway):
    gateway.ping()


# --- saving a card ---------------------------------------------------------------------


def test_setup_with_a_good_card_succeeds(gateway, customer):
    payment_method = card_payment_method(gateway, CARD_SUCCEEDS)
    setup = gateway.create_setup_intent(
        customer_id=customer, payment_method_id=payment_method, metadata={"pledge": "7"}
    )
    assert setup.succeeded and not setup.requires_action
    assert setup.id.startswith("seti_") and setup.client_secret.startswith(setup.id)
    assert (setup.customer_id, setup.payment_method_id) == (customer, payment_method)
    assert gateway.retrieve_setup_intent(setup.id) == setup


def test_setup_of_a_card_that_fails_later_succeeds_now(gateway, customer):
    payment_method = card_payment_method(gateway, CARD_DECLINES_ON_CHARGE)
    setup = gateway.create_setup_intent(customer_id=customer, payment_method_id=payment_method, metadata={})
    assert setup.succeeded


def test_setup_without_a_payment_method_waits_for_the_browser(gateway, customer):
    setup = gateway.create_setup_intent(customer_id=customer, payment_method_id=None, metadata={})
    assert setup.status == "requires_payment_method"
    assert setup.payment_method_id is None and setup.client_secret


def test_setup_with_a_declined_card_raises_card_declined(gateway, customer):
    payment_method = card_payment_method(gateway, CARD_DECLINES_AT_SETUP)
    with pytest.raises(CardDeclined) as declined:
        gateway.create_setup_intent(customer_id=customer, payment_method_id=payment_method, metadata={})
    assert declined.value.message == "Your card was declined."
    assert declined.value.code == "card_declined"


def test_setup_with_3d_secure_requires_action_until_the_backer_authenticates(gateway, customer):
    payment_method = card_payment_method(gateway, CARD_REQUIRES_3DS)
    setup = gateway.create_setup_intent(customer_id=customer, payment_method_id=payment_method, metadata={})
    assert setup.status == "requires_action" and setup.requires_action and not setup.succeeded
    assert setup.client_secret and setup.payment_method_id == payment_method

    done = complete_test_3ds_setup(gateway, setup.id)
    assert done.succeeded
    assert gateway.retrieve_setup_intent(setup.id).succeeded


def test_setup_with_failed_3d_secure_is_canceled(gateway, customer):
    payment_method = card_payment_method(gateway, CARD_REQUIRES_3DS)
    setup = gateway.create_setup_intent(customer_id=customer, payment_method_id=payment_method, metadata={})
    assert complete_test_3ds_setup(gateway, setup.id, succeed=False).status == "canceled"


def test_cancel_setup_intent(gateway, customer):
    pending = gateway.create_setup_intent(customer_id=customer, payment_method_id=None, metadata={})
    gateway.cancel_setup_intent(pending.id)
    assert gateway.retrieve_setup_intent(pending.id).status == "canceled"


def _through_a_recording_proxy(gateway, action):
    """What ``action(gateway)`` asks the provider, with the real SDK and localstripe in between."""
    with recording_proxy(gateway.api_base) as provider:
        action(StripeGateway(secret_key=settings.STRIPE_SECRET_KEY, webhook_secret="whsec_x", api_base=provider.url))
    return [(method, path) for method, path, _ in provider.requests]


def test_canceling_a_succeeded_setup_intent_detaches_its_card_unless_the_card_is_kept(gateway, customer):
    """A succeeded SetupIntent cannot be canceled: its card is detached instead (localstripe keeps
    a detached card usable, so what the gateway asks the provider is the evidence)."""
    card = card_payment_method(gateway, CARD_SUCCEEDS)
    saved = gateway.create_setup_intent(customer_id=customer, payment_method_id=card, metadata={})

    kept = _through_a_recording_proxy(gateway, lambda g: g.cancel_setup_intent(saved.id, keep_card=True))
    dropped = _through_a_recording_proxy(gateway, lambda g: g.cancel_setup_intent(saved.id))

    assert kept == [("GET", f"/v1/setup_intents/{saved.id}")]
    assert dropped == [("GET", f"/v1/setup_intents/{saved.id}"), ("POST", f"/v1/payment_methods/{card}/detach")]
    assert gateway.retrieve_setup_intent(saved.id).status == "succeeded"


def test_cleanup_is_best_effort_it_logs_what_it_could_not_clean_and_raises_nothing(gateway, caplog):
    with caplog.at_level("WARNING", logger="pledges.payments.stripe_gateway"):
        assert gateway.cancel_setup_intent("seti_doesnotexist") is None
        assert gateway.detach_payment_method("pm_doesnotexist") is None

    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2, messages
    assert messages[0].startswith("could not clean up SetupIntent seti_doesnotexist: ")
    assert messages[1].startswith("could not detach PaymentMethod pm_doesnotexist: ")


# --- charging a saved card -------------------------------------------------------------


def test_charge_off_session_succeeds(gateway, customer):
    card = saved_card(gateway, customer, CARD_SUCCEEDS)
    result = charge(gateway, customer, card, new_key(), amount=2500)
    assert result.succeeded and result.status == "succeeded"
    assert result.payment_intent_id.startswith("pi_")
    assert (result.amount_minor, result.currency) == (2500, "usd")
    assert (result.failure_code, result.failure_message) == (None, None)
    assert gateway.retrieve_charge(result.payment_intent_id) == result


def test_declined_charge_is_a_failed_result_not_an_exception(gateway, customer):
    card = saved_card(gateway, customer, CARD_DECLINES_ON_CHARGE)
    key = new_key()
    result = charge(gateway, customer, card, key, amount=1000)
    assert result.status == "failed"
    assert result.failure_code == "card_declined"
    assert result.failure_message == "Your card was declined."
    assert result.payment_intent_id.startswith("pi_")
    assert gateway.retrieve_charge(result.payment_intent_id) == result
    assert gateway.find_charge(customer_id=customer, idempotency_key=key) == result


def test_charge_needing_3d_secure_requires_action(gateway, customer):
    card = saved_card(gateway, customer, CARD_REQUIRES_3DS)
    result = charge(gateway, customer, card, new_key(), amount=700)
    assert result.status == "requires_action"
    assert result.failure_code == "authentication_required"
    assert result.failure_message
    assert gateway.retrieve_charge(result.payment_intent_id) == result


# Real Stripe answers an off-session charge it declines with HTTP 402 and the PaymentIntent in the
# error body; localstripe names only the charge (test above), so this branch is served the body of
# real Stripe: tests/support/stripe/*.json. Their shape is that of Stripe's test-mode answers
# (Stripe's API reference, "Errors": an error of a request on a PaymentIntent carries it as
# `payment_intent`, here in its form since API version 2022-11-15: `latest_charge`, no `charges`
# list), as public captures of such 402s show them, e.g. activemerchant's
# test/unit/gateways/stripe_payment_intents_test.rb (`failed_capture_response`, card_declined /
# generic_decline, the intent left `requires_payment_method`). The ids are made up; the amount,
# currency, customer and metadata are the request's, as Stripe echoes them.
REAL_STRIPE_INTENT = "pi_3QxV2nLkdIwHu7ix0c9Hh2Zt"


@pytest.mark.parametrize(
    ("payload", "status", "code", "message"),
    [
        ("off_session_declined_402", "failed", "card_declined", "Your card was declined."),
        (
            "off_session_authentication_required_402",
            "requires_action",
            "authentication_required",
            "Your card was declined. This transaction requires authentication.",
        ),
    ],
)
def test_a_real_stripe_decline_is_read_from_the_payment_intent_in_its_402_body(
    settings, payload, status, code, message
):
    key = new_key()

    with canned_stripe(payload) as provider:
        settings.STRIPE_API_BASE = provider.url
        result = get_gateway().charge_off_session(
            customer_id="cus_RZ3hYvQkT0e8Lm",
            payment_method_id="pm_1QxV2mLkdIwHu7ixK4oZ3b1T",
            amount_minor=2500,
            currency="USD",
            idempotency_key=key,
            metadata={"pledge_id": "7"},
        )

    assert result == ChargeResult(
        payment_intent_id=REAL_STRIPE_INTENT,
        status=status,
        amount_minor=2500,
        currency="usd",
        failure_code=code,
        failure_message=message,
        idempotency_key=key,
    )
    # The answer is complete: no look-up of the charge or of earlier intents follows it.
    [(method, path, sent)] = provider.requests
    assert (method, path) == ("POST", "/v1/payment_intents")
    assert (sent["off_session"], sent["confirm"], sent["amount"]) == ("true", "true", "2500")


@pytest.mark.parametrize("amount", [0, -5, 10.0, True])
def test_charge_refuses_bad_amounts(gateway, customer, amount):
    with pytest.raises(ValueError):
        charge(gateway, customer, "pm_unused", new_key(), amount=amount)


def test_find_charge_finds_what_an_earlier_attempt_did(gateway, customer):
    card = saved_card(gateway, customer, CARD_SUCCEEDS)
    key = new_key()
    assert gateway.find_charge(customer_id=customer, idempotency_key=key) is None
    result = charge(gateway, customer, card, key)
    assert gateway.find_charge(customer_id=customer, idempotency_key=key) == result

    stranger = gateway.create_customer(email="other@example.com", name="Other", metadata={})
    assert gateway.find_charge(customer_id=stranger, idempotency_key=key) is None


def test_find_charge_prefers_a_success(gateway, customer):
    """localstripe ignores Idempotency-Key: two attempts with one key make two intents."""
    key = new_key()
    charge(gateway, customer, saved_card(gateway, customer, CARD_DECLINES_ON_CHARGE), key)
    succeeded = charge(gateway, customer, saved_card(gateway, customer, CARD_SUCCEEDS), key)
    charge(gateway, customer, saved_card(gateway, customer, CARD_DECLINES_ON_CHARGE), key)
    assert gateway.find_charge(customer_id=customer, idempotency_key=key) == succeeded


def test_retrieve_unknown_charge_is_a_payment_error(gateway):
    with pytest.raises(PaymentError) as error:
        gateway.retrieve_charge("pi_doesnotexist")
    assert not isinstance(error.value, ProviderUnavailable)


# --- refunds ---------------------------------------------------------------------------


def test_refund_part_then_the_rest(gateway, customer):
    paid = charge(gateway, customer, saved_card(gateway, customer, CARD_SUCCEEDS), new_key(), amount=2500)
    part = gateway.refund(payment_intent_id=paid.payment_intent_id, idempotency_key=new_key(), amount_minor=500)
    assert part.id.startswith("re_") and part.status == "succeeded" and part.amount_minor == 500
    rest = gateway.refund(payment_intent_id=paid.payment_intent_id, idempotency_key=new_key(), amount_minor=2000)
    assert rest.id != part.id and rest.amount_minor == 2000


def test_refund_with_a_used_key_returns_the_first_refund(gateway, customer):
    paid = charge(gateway, customer, saved_card(gateway, customer, CARD_SUCCEEDS), new_key(), amount=2500)
    key = new_key()
    first = gateway.refund(payment_intent_id=paid.payment_intent_id, idempotency_key=key)
    assert first.amount_minor == 2500
    assert gateway.refund(payment_intent_id=paid.payment_intent_id, idempotency_key=key) == first


def test_refund_of_a_failed_charge_is_a_payment_error(gateway, customer):
    failed = charge(gateway, customer, saved_card(gateway, customer, CARD_DECLINES_ON_CHARGE), new_key())
    with pytest.raises(PaymentError, match="Cannot refund"):
        gateway.refund(payment_intent_id=failed.payment_intent_id, idempotency_key=new_key())


# --- webhooks --------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]]

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.headers.get("Stripe-Signature", ""), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_localstripe_sends_signed_webhooks_that_parse_webhook_accepts(gateway, customer):
    received: list[tuple[str, bytes]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    with http_server(handler) as url:
        gateway.register_webhook(url=f"{url}/hook", secret=settings.STRIPE_WEBHOOK_SECRET, endpoint_id="test-gateway")
        try:
            paid = charge(gateway, customer, saved_card(gateway, customer, CARD_SUCCEEDS), new_key())
            failed = charge(gateway, customer, saved_card(gateway, customer, CARD_DECLINES_ON_CHARGE), new_key())
            wanted = {paid.payment_intent_id: "payment_intent.succeeded"}
            wanted[failed.payment_intent_id] = "payment_intent.payment_failed"
            seen: dict[str, str] = {}
            deadline = time.monotonic() + 15
            while set(wanted) - set(seen) and time.monotonic() < deadline:
                time.sleep(0.2)
                for signature, body in list(received):
                    assert signature.startswith("t=") and ",v1=" in signature
                    event = gateway.parse_webhook(payload=body, signature_header=signature)
                    assert isinstance(event, dict) and event["id"].startswith("evt_")
                    if event["data"]["object"].get("id") in wanted:
                        seen[event["data"]["object"]["id"]] = event["type"]
                        assert event["data"]["object"]["metadata"]["pledge"] == "1"
            assert seen == wanted
        finally:  # localstripe can't unregister: silence the endpoint instead
            gateway.register_webhook(
                url=f"{url}/hook", secret=settings.STRIPE_WEBHOOK_SECRET, endpoint_id="test-gateway", events=[]
            )


def _signed(payload: str, secret: str, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)


EVENT = json.dumps({"id": "evt_1", "object": "event", "type": "payment_intent.succeeded", "data": {"object": {}}})


def test_parse_webhook_returns_the_event_as_a_dict(gateway):
    event = gateway.parse_webhook(
        payload=EVENT.encode(), signature_header=_signed(EVENT, settings.STRIPE_WEBHOOK_SECRET)
    )
    assert event == json.loads(EVENT)


@pytest.mark.parametrize(
    ("payload", "header"),
    [
        (EVENT, lambda: _signed(EVENT, "whsec_someone_else")),
        (EVENT + " ", lambda: _signed(EVENT, settings.STRIPE_WEBHOOK_SECRET)),
        (EVENT, lambda: _signed(EVENT, settings.STRIPE_WEBHOOK_SECRET, int(time.time()) - 3600)),
        (EVENT, lambda: "garbage"),
        (EVENT, lambda: ""),
        ("not json", lambda: _signed("not json", settings.STRIPE_WEBHOOK_SECRET)),
        ("[]", lambda: _signed("[]", settings.STRIPE_WEBHOOK_SECRET)),
        (b"\xff\xfe", lambda: "t=1,v1=00"),
    ],
    ids=["other-secret", "tampered", "stale", "garbage-header", "no-header", "not-json", "not-event", "not-utf8"],
)
def test_parse_webhook_rejects(gateway, payload, header):
    body = payload if isinstance(payload, bytes) else payload.encode()
    with pytest.raises(InvalidWebhook):
        gateway.parse_webhook(payload=body, signature_header=header())


# --- provider trouble ------------------------------------------------------------------


def _gateway_at(url: str, timeout: float = 5.0) -> StripeGateway:
    return StripeGateway(secret_key="sk_test_trouble", webhook_secret="whsec_x", api_base=url, timeout=timeout)


def test_unreachable_provider_is_provider_unavailable():
    gateway = _gateway_at("http://127.0.0.1:9")
    with pytest.raises(ProviderUnavailable):
        gateway.create_customer(email="a@example.com", name="A", metadata={})
    with pytest.raises(ProviderUnavailable):
        gateway.ping()
    gateway.cancel_setup_intent("seti_x")  # best effort: logs, doesn't raise


@pytest.mark.parametrize(
    ("status", "error"), [(429, RateLimited), (500, ProviderUnavailable), (503, ProviderUnavailable)]
)
def test_http_errors_are_typed(status, error):
    with http_server(error_handler(status)) as url:
        gateway = _gateway_at(url)
        with pytest.raises(error):
            gateway.find_charge(customer_id="cus_x", idempotency_key="k")
        with pytest.raises(error):
            charge(gateway, "cus_x", "pm_x", new_key())


def test_slow_provider_times_out():
    with http_server(error_handler(200, delay=2.0)) as url:
        started = time.monotonic()
        with pytest.raises(ProviderUnavailable):
            _gateway_at(url, timeout=0.5).retrieve_charge("pi_x")
        assert time.monotonic() - started < 2.0


def test_a_card_declined_at_setup_on_stripe_cancels_the_intent_the_402_carries():
    """Stripe leaves a SetupIntent whose card was declined waiting for another card, and sends it in
    the 402: it is cancelled by its id, without a look-up first."""
    seen: list[tuple[str, str]] = []
    declined = {
        "error": {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "generic_decline",
            "message": "Your card was declined.",
            "setup_intent": {"id": "seti_declined", "object": "setup_intent", "status": "requires_payment_method"},
        }
    }
    cancelled = {"id": "seti_declined", "object": "setup_intent", "status": "canceled"}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append((self.command, self.path))
            status, body = (402, declined) if self.path == "/v1/setup_intents" else (200, cancelled)
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args):
            pass

    with http_server(Handler) as url:
        with pytest.raises(CardDeclined) as error:
            _gateway_at(url).create_setup_intent(customer_id="cus_x", payment_method_id="pm_x", metadata={})
    assert error.value.decline_code == "generic_decline"
    assert seen == [("POST", "/v1/setup_intents"), ("POST", "/v1/setup_intents/seti_declined/cancel")]
