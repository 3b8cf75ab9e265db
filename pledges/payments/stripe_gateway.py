"""The Stripe gateway: the real ``stripe`` SDK (16.x, ``StripeClient``) over HTTP.

The same code talks to api.stripe.com in production and to localstripe
(1.15.10, ``STRIPE_API_BASE``) in development and tests. The SDK sends
``Stripe-Version: 2026-10-28.endive``; localstripe ignores the header, and every
call below was checked against it. What localstripe does, measured:

* Payment methods: ``POST /v1/payment_methods`` with ``type=card`` and
  ``card[number|exp_month|exp_year|cvc]`` (all four, 16 digits, 3-digit cvc,
  2019 <= year < 2100) -- see ``demo.cards.card_payment_method``. The
  aliases ``pm_card_visa`` (4242), ``pm_card_visa_chargeDeclined`` (0002) and
  ``pm_card_chargeCustomerFail`` (0341) also work; each use mints a new ``pm_``.
  Real Stripe refuses raw card numbers by default: use those aliases there.
* SetupIntents: localstripe 1.15 itself accepts only customer/usage/payment_method_types/
  metadata at create (``confirm``/``payment_method`` -> 400 "Unexpected ..."); the devstack's
  localstripe takes ``payment_method`` with ``confirm=true`` as Stripe does
  (devstack/localstripe_answers.py), so a card is saved in one call.
  4242 and 0341 -> ``succeeded``; 0002 -> HTTP 402 (``CardError``, code
  ``card_declined``, message "Your card was declined.", ``type`` says
  ``invalid_request_error``, no ``decline_code``; the SetupIntent in the error's
  ``setup_intent``, as Stripe sends it) and the SetupIntent is left ``canceled``; 4000002500003155 / 4000002760003184 ->
  ``requires_action`` with ``next_action.type == "use_stripe_sdk"``. The browser
  (or tests/support/payments.py's ``complete_test_3ds_setup``) finishes it by confirming again
  without a payment method (-> ``succeeded``) or cancelling. Confirming does not
  attach the payment method to the customer (real Stripe does).
* Off-session PaymentIntents (``off_session=true, confirm=true``): 4242 ->
  ``succeeded``; 0341 -> HTTP 402 ``card_declined`` whose body carries ``charge``
  but not ``payment_intent`` (devstack's localstripe adds it, as Stripe sends it:
  devstack/localstripe_answers.py; else we read ``charge.payment_intent``), the intent stays
  ``requires_payment_method`` with ``last_payment_error``; 3-D Secure cards ->
  HTTP 200, status ``requires_action``, no error (real Stripe: 402
  ``authentication_required``, intent ``requires_payment_method``). Both shapes map
  to ``ChargeResult(status="requires_action", failure_code="authentication_required")``.
  A card declined at setup (0002) is *charged successfully* by localstripe.
  ``latest_charge`` is an embedded object, not an id.
* Idempotency-Key headers are ignored: a replay creates a second intent/refund.
  Hence metadata["idempotency_key"] and ``find_charge``/refund look-ups first.
* ``GET /v1/payment_intents?customer=`` -> 400 "Unexpected customer" (only
  limit/starting_after); ``/v1/payment_intents/search`` -> 404. ``find_charge`` lists
  by customer (real Stripe) and falls back to listing all intents, filtering here.
  Refunds can be listed by ``payment_intent``; a refund always ``succeeded``.
* Webhooks: ``POST /_config/webhooks/<id>`` (url, secret, optional events) in JSON
  or form encoding, no auth needed. Events are sent about 1 s after the fact to
  every registered endpoint, header ``Stripe-Signature: t=<ts>,v1=<hex hmac-sha256
  of "<ts>.<body>">`` (Stripe's scheme), ``api_version`` "2017-08-15". Only
  ``customer.created``, ``payment_intent.succeeded`` and
  ``payment_intent.payment_failed`` matter here: no ``setup_intent.*``, no
  ``charge.*`` (so no ``charge.refunded``), nothing for ``requires_action``.
  No way to unregister: re-register the id with ``events=[]`` to silence it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import requests
import stripe
from django.utils.translation import gettext as _

from core.metrics import count_provider_call
from core.parsers import loads_strict

from . import ratelimit
from .base import (
    STANDING_REFUND,
    CardDeclined,
    ChargeResult,
    InvalidWebhook,
    PaymentError,
    ProviderPayment,
    ProviderUnavailable,
    RateLimited,
    RefundResult,
    RefundTotal,
    SetupResult,
)

if TYPE_CHECKING:
    from stripe.params import PaymentIntentCreateParams, RefundCreateParams, SetupIntentCreateParams

log = logging.getLogger(__name__)

IDEMPOTENCY_METADATA_KEY = "idempotency_key"
WEBHOOK_TOLERANCE_SECONDS = 300
AUTHENTICATION_REQUIRED_MESSAGE = "Your card was declined. This transaction requires authentication."
_STATUS_PREFERENCE = {"succeeded": 0, "processing": 1, "requires_action": 2, "failed": 3}


# An object's id (pi_3Q…, seti_…, cus_…): one operation whatever the id.
_OBJECT_ID = re.compile(r"[a-z]+_[A-Za-z0-9]+")


def provider_operation(method: str, url: str) -> str:
    """Stripe's name for the operation, as its per-operation limits count: ``POST /v1/payment_intents``,
    ``POST /v1/setup_intents/{id}/confirm``. Paths run /v1/<resource>/<id>/<action or resource>/…:
    an id only ever follows a resource's name."""
    parts = urlsplit(url).path.split("/")
    segments = [
        "{id}" if index >= 3 and index % 2 == 1 and _OBJECT_ID.fullmatch(part) else part
        for index, part in enumerate(parts)
    ]
    return f"{method.upper()} {'/'.join(segments)}"


def _outcome(status: int) -> str:
    if status < 400:
        return "ok"
    if status == 402:
        return "declined"
    if status == 429:
        return "rate_limited"
    return "client_error" if status < 500 else "server_error"


class CountingRequestsClient(stripe.RequestsClient):
    """The SDK's HTTP client, within the provider's budget and counted: every call (each page of a
    listing and each look-up too, as they count against the provider's limits) first takes a slot
    of its operation at its priority (ratelimit.py), and is counted by operation and outcome
    (core.metrics). A 429 is sent again after a backoff unless the provider says
    ``Stripe-Should-Retry: false`` (a person gets two quick retries, background work six longer
    ones); a 429 still standing after them reaches the SDK (RateLimitError, our RateLimited).
    Sending it again is safe: a rate-limited request was not carried out, and charges and
    refunds carry their idempotency key."""

    def request(self, method, url, headers, post_data=None):
        operation = provider_operation(method, url)
        priority = ratelimit.current_priority()
        # One wait for slots and backoffs for the call, retries included: a call never outlasts
        # its task's limit, nor a webhook's answer Stripe's patience.
        deadline = time.monotonic() + ratelimit.current_wait(priority)
        attempt = 0
        while True:
            wait = max(0.0, deadline - time.monotonic())
            ratelimit.acquire_provider_slot(operation=operation, priority=priority, timeout=wait)
            try:
                content, status, response_headers = super().request(method, url, headers, post_data)
            except stripe.APIConnectionError:
                count_provider_call(operation=operation, outcome="network_error")
                raise
            count_provider_call(operation=operation, outcome=_outcome(status))
            if status != 429 or not ratelimit.should_retry_429(response_headers, attempt=attempt, priority=priority):
                return content, status, response_headers
            pause = ratelimit.backoff_after_429(attempt=attempt, priority=priority)
            if time.monotonic() + pause > deadline:
                return content, status, response_headers
            time.sleep(pause)
            attempt += 1


def _plain(obj: Any) -> dict[str, Any]:
    """A StripeObject (not a dict in stripe 16) or a JSON dict as a plain dict."""
    if isinstance(obj, stripe.StripeObject):
        return obj.to_dict()
    return dict(obj or {})


def _id(value: Any) -> str | None:
    """An id whether the field holds an id or an expanded object."""
    if value is None or isinstance(value, str):
        return value
    return _plain(value).get("id")


def _error_body(e: stripe.StripeError) -> dict[str, Any]:
    body = e.json_body if isinstance(e.json_body, dict) else {}
    error = body.get("error")
    return dict(error) if isinstance(error, dict) else {}


@contextmanager
def _stripe_errors() -> Iterator[None]:
    """Turns the SDK's exceptions into ours."""
    try:
        yield
    except stripe.RateLimitError as e:
        raise RateLimited(
            _("The payment provider is busy. Please try again shortly."), code=e.code or "rate_limit"
        ) from e
    except (stripe.APIConnectionError, stripe.APIError) as e:
        # Network errors, timeouts, 5xx and other unexpected statuses (409 lock_timeout).
        raise ProviderUnavailable(_("The payment provider is unavailable. Please try again later."), code=e.code) from e
    except stripe.CardError as e:
        raise CardDeclined(
            e.user_message or _("Your card was declined."),
            code=e.code or "card_declined",
            decline_code=_error_body(e).get("decline_code"),
        ) from e
    except stripe.StripeError as e:
        code = e.code or _error_body(e).get("type")
        raise PaymentError(e.user_message or "The payment provider refused the request.", code=code) from e


def _setup_result(si: Any) -> SetupResult:
    data = _plain(si)
    return SetupResult(
        id=data["id"],
        status=data["status"],
        client_secret=data["client_secret"],
        customer_id=_id(data.get("customer")) or "",
        payment_method_id=_id(data.get("payment_method")),
    )


def _charge_result(pi: Any) -> ChargeResult:
    data = _plain(pi)
    error = data.get("last_payment_error") or {}
    code, message = error.get("code"), error.get("message")
    status = data["status"]
    if status == "succeeded":
        result, code, message = "succeeded", None, None
    elif status == "requires_action" or code == "authentication_required":
        result = "requires_action"
        code = code or "authentication_required"
        message = message or AUTHENTICATION_REQUIRED_MESSAGE
    elif status == "canceled":
        result, code, message = "failed", code or "canceled", message or "The payment was canceled."
    elif status == "requires_payment_method":
        result = "failed"
    else:  # processing, requires_confirmation, requires_capture: not final yet
        result, code, message = "processing", None, None
    return ChargeResult(
        payment_intent_id=data["id"],
        status=result,
        amount_minor=data["amount"],
        currency=data["currency"].lower(),
        failure_code=code,
        failure_message=message,
        idempotency_key=(data.get("metadata") or {}).get(IDEMPOTENCY_METADATA_KEY),
        card_last4=_card_last4(data.get("latest_charge")),
    )


def _card_last4(latest_charge: Any) -> str | None:
    """The last four digits of the card a PaymentIntent's latest charge used, when the charge is
    embedded (localstripe embeds it; Stripe gives an id unless expanded): None otherwise."""
    if latest_charge is None or isinstance(latest_charge, str):
        return None
    details = _plain(_plain(latest_charge).get("payment_method_details"))
    last4 = _plain(details.get("card")).get("last4")
    return last4 if isinstance(last4, str) and len(last4) == 4 and last4.isdigit() else None


def _refund_result(refund: Any) -> RefundResult:
    data = _plain(refund)
    return RefundResult(id=data["id"], status=data["status"], amount_minor=data["amount"])


class StripeGateway:
    """``PaymentGateway`` on Stripe. Thread-safe: one instance per process is enough."""

    def __init__(self, *, secret_key: str, webhook_secret: str, api_base: str = "", timeout: float = 20.0) -> None:
        self.api_base = (api_base or stripe.DEFAULT_API_BASE).rstrip("/")
        self.is_real_stripe = self.api_base == stripe.DEFAULT_API_BASE
        self._secret_key = secret_key
        self._webhook_secret = webhook_secret
        self._timeout = timeout
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": self.api_base},
            max_network_retries=0,  # retries are ours: Celery, with backoff
            http_client=CountingRequestsClient(timeout=timeout),
        )
        self._can_list_by_customer = True  # localstripe can't; learnt on first try

    # -- customers and saved cards -------------------------------------------

    def create_customer(self, *, email: str, name: str, metadata: dict[str, str]) -> str:
        with _stripe_errors():
            customer = self.client.v1.customers.create(params={"email": email, "name": name, "metadata": metadata})
        return customer.id

    def create_setup_intent(
        self, *, customer_id: str, payment_method_id: str | None, metadata: dict[str, str]
    ) -> SetupResult:
        """A SetupIntent for off-session charges; with ``payment_method_id`` created and confirmed
        in the same call (``confirm=true``), so saving a card costs one request, not two."""
        params: SetupIntentCreateParams = {  # type: ignore[typeddict-unknown-key]  # stubs omit payment_method_types
            "customer": customer_id,
            "usage": "off_session",
            "payment_method_types": ["card"],
            "metadata": metadata,
        }
        if payment_method_id is not None:
            params["payment_method"] = payment_method_id
            params["confirm"] = True
        with _stripe_errors():
            try:
                si = self.client.v1.setup_intents.create(params=params)
            except stripe.CardError as e:
                self._drop_declined_setup(_error_body(e).get("setup_intent"))
                raise
        return _setup_result(si)

    def _drop_declined_setup(self, setup_intent: Any) -> None:
        """A SetupIntent whose card was declined, as the 402 carries it: cancelled unless it is
        already (localstripe cancels it; Stripe leaves it waiting for another card). Best effort."""
        data = _plain(setup_intent) if setup_intent else {}
        if not data.get("id") or data.get("status") == "canceled":
            return
        try:
            with _stripe_errors():
                self.client.v1.setup_intents.cancel(data["id"])
        except PaymentError as e:
            log.warning("could not cancel SetupIntent %s: %s", data["id"], e.message)

    def retrieve_setup_intent(self, setup_intent_id: str) -> SetupResult:
        with _stripe_errors():
            return _setup_result(self.client.v1.setup_intents.retrieve(setup_intent_id))

    def cancel_setup_intent(self, setup_intent_id: str, *, keep_card: bool = False) -> None:
        """Best effort: cancel it, or detach its card if it already succeeded (unless
        ``keep_card``: the same card serves another pledge)."""
        try:
            with _stripe_errors():
                si = _setup_result(self.client.v1.setup_intents.retrieve(setup_intent_id))
                if si.succeeded:
                    if si.payment_method_id and not keep_card:
                        self.client.v1.payment_methods.detach(si.payment_method_id)
                elif si.status != "canceled":
                    self.client.v1.setup_intents.cancel(setup_intent_id)
        except PaymentError as e:
            log.warning("could not clean up SetupIntent %s: %s", setup_intent_id, e.message)

    def detach_payment_method(self, payment_method_id: str) -> None:
        """Best effort: the card is no longer usable for later charges."""
        try:
            with _stripe_errors():
                self.client.v1.payment_methods.detach(payment_method_id)
        except PaymentError as e:
            log.warning("could not detach PaymentMethod %s: %s", payment_method_id, e.message)

    # -- charges -------------------------------------------------------------

    def charge_off_session(
        self,
        *,
        customer_id: str,
        payment_method_id: str,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> ChargeResult:
        if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
            raise ValueError(f"amount_minor must be a positive int, not {amount_minor!r}")
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        currency = currency.lower()
        params: PaymentIntentCreateParams = {
            "amount": amount_minor,
            "currency": currency,
            "customer": customer_id,
            "payment_method": payment_method_id,
            # Sent as always (see the top of this module); Stripe's types no longer list the key.
            "payment_method_types": ["card"],  # type: ignore[typeddict-unknown-key]
            "off_session": True,
            "confirm": True,
            "metadata": {**metadata, IDEMPOTENCY_METADATA_KEY: idempotency_key},
            # The charge itself, not its id: its card's last four digits go on the receipt (no extra call).
            "expand": ["latest_charge"],
        }
        with _stripe_errors():
            try:
                pi = self.client.v1.payment_intents.create(params=params, options={"idempotency_key": idempotency_key})
            except stripe.CardError as e:
                return self._declined(e, customer_id, idempotency_key, amount_minor, currency)
        return _charge_result(pi)

    def _declined(
        self, e: stripe.CardError, customer_id: str, idempotency_key: str, amount: int, currency: str
    ) -> ChargeResult:
        """A 402 from an off-session charge: a result, not an exception."""
        error = _error_body(e)
        if isinstance(error.get("payment_intent"), dict):  # real Stripe
            return _charge_result(error["payment_intent"])
        code = error.get("code") or e.code or "card_declined"
        message = error.get("message") or "Your card was declined."
        payment_intent_id = None
        if error.get("charge"):  # localstripe names the charge only
            charge = _plain(self.client.v1.charges.retrieve(error["charge"]))
            payment_intent_id = _id(charge.get("payment_intent"))
        if payment_intent_id is None:
            found = self.find_charge(customer_id=customer_id, idempotency_key=idempotency_key)
            if found is None:
                raise PaymentError(message, code=code) from e
            return found
        return ChargeResult(
            payment_intent_id=payment_intent_id,
            status="requires_action" if code == "authentication_required" else "failed",
            amount_minor=amount,
            currency=currency,
            failure_code=code,
            failure_message=message,
            idempotency_key=idempotency_key,
        )

    def find_charge(self, *, customer_id: str, idempotency_key: str) -> ChargeResult | None:
        """What an earlier attempt with this key left behind; a success wins."""
        with _stripe_errors():
            matches = [
                pi
                for pi in self._payment_intents_of(customer_id)
                if (pi.get("metadata") or {}).get(IDEMPOTENCY_METADATA_KEY) == idempotency_key
            ]
        if not matches:
            return None
        matches.sort(key=lambda pi: pi.get("created") or 0, reverse=True)
        return min(map(_charge_result, matches), key=lambda r: _STATUS_PREFERENCE[r.status])

    def _payment_intents_of(self, customer_id: str) -> Iterator[dict[str, Any]]:
        if self._can_list_by_customer:
            try:
                page = self.client.v1.payment_intents.list(params={"customer": customer_id, "limit": 100})
            except stripe.InvalidRequestError as e:
                if not (e.user_message or "").startswith("Unexpected customer"):
                    raise
                self._can_list_by_customer = False  # localstripe
            else:
                for pi in page.auto_paging_iter():
                    yield _plain(pi)
                return
        page = self.client.v1.payment_intents.list(params={"limit": 100})
        for pi in page.auto_paging_iter():
            data = _plain(pi)
            if _id(data.get("customer")) == customer_id:
                yield data

    def retrieve_charge(self, payment_intent_id: str) -> ChargeResult:
        with _stripe_errors():
            return _charge_result(self.client.v1.payment_intents.retrieve(payment_intent_id))

    def refund(
        self,
        *,
        payment_intent_id: str,
        idempotency_key: str,
        amount_minor: int | None = None,
        known: RefundTotal | None = None,
    ) -> RefundResult:
        """Refunds (part of) a charge; a refund already made with this key is returned.

        ``known``: the payment's refunds as ``refunds_of`` just listed them; without it they are
        listed here (Stripe keeps an idempotency key 24 hours only, so the key is also looked
        for in the refunds' metadata)."""
        if not idempotency_key:
            raise ValueError("idempotency_key is required")
        with _stripe_errors():
            if known is None or idempotency_key in known.keys:
                existing = self.client.v1.refunds.list(params={"payment_intent": payment_intent_id, "limit": 100})
                for refund in existing.auto_paging_iter():
                    data = _plain(refund)
                    if (data.get("metadata") or {}).get(IDEMPOTENCY_METADATA_KEY) == idempotency_key:
                        return _refund_result(data)
            params: RefundCreateParams = {
                "payment_intent": payment_intent_id,
                "metadata": {IDEMPOTENCY_METADATA_KEY: idempotency_key},
            }
            if amount_minor is not None:
                params["amount"] = amount_minor
            refund = self.client.v1.refunds.create(params=params, options={"idempotency_key": idempotency_key})
        return _refund_result(refund)

    def refunds_of(self, payment_intent_id: str) -> RefundTotal:
        """All refunds of a payment that stand (succeeded, or pending at the bank)."""
        with _stripe_errors():
            page = self.client.v1.refunds.list(params={"payment_intent": payment_intent_id, "limit": 100})
            refunds = [_plain(refund) for refund in page.auto_paging_iter()]
        standing = [r for r in refunds if r.get("status") in STANDING_REFUND]
        latest = max(standing, key=lambda r: r.get("created") or 0, default=None)
        keys = {(r.get("metadata") or {}).get(IDEMPOTENCY_METADATA_KEY) for r in refunds}
        return RefundTotal(
            amount_minor=sum(int(r["amount"]) for r in standing),
            latest_refund_id=latest["id"] if latest else None,
            keys=frozenset(key for key in keys if key),
        )

    def all_payments(self) -> Iterator[ProviderPayment]:
        """Every PaymentIntent of the account (for reconciliation: a slow, paged listing)."""
        with _stripe_errors():
            for intent in self.client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter():
                data = _plain(intent)
                yield ProviderPayment(
                    payment_intent_id=data["id"],
                    status=data["status"],
                    amount_minor=int(data["amount"]),
                    currency=str(data["currency"]).lower(),
                    pledge_id=(data.get("metadata") or {}).get("pledge_id"),
                    customer_id=_id(data.get("customer")),
                )

    def all_refunds(self) -> dict[str, int]:
        """PaymentIntent id -> minor units refunded (succeeded or pending refunds), for reconciliation."""
        totals: dict[str, int] = {}
        with _stripe_errors():
            for refund in self.client.v1.refunds.list(params={"limit": 100}).auto_paging_iter():
                data = _plain(refund)
                intent = _id(data.get("payment_intent"))
                if intent and data.get("status") in STANDING_REFUND:
                    totals[intent] = totals.get(intent, 0) + int(data["amount"])
        return totals

    # -- webhooks and health -------------------------------------------------

    def parse_webhook(self, *, payload: bytes, signature_header: str) -> dict[str, Any]:
        """Verifies the signature (and a 5-minute timestamp tolerance); the event as a dict."""
        if not self._webhook_secret:
            raise InvalidWebhook("no webhook signing secret is configured")
        try:
            stripe.WebhookSignature.verify_header(
                payload, signature_header, self._webhook_secret, WEBHOOK_TOLERANCE_SECONDS
            )
            event = loads_strict(payload.decode("utf-8"))
        except (stripe.SignatureVerificationError, ValueError, TypeError, IndexError) as e:
            raise InvalidWebhook(str(e) or type(e).__name__) from e
        if not (isinstance(event, dict) and isinstance(event.get("id"), str) and isinstance(event.get("type"), str)):
            raise InvalidWebhook("not a Stripe event")
        if not (0 < len(event["id"]) <= 255 and 0 < len(event["type"]) <= 100):
            raise InvalidWebhook("an event id or type of an impossible length")
        if b"\\u0000" in payload or b"\x00" in payload:
            raise InvalidWebhook("a NUL character, which no Stripe event carries")
        return event

    def register_webhook(
        self,
        *,
        url: str,
        secret: str,
        endpoint_id: str = "pledgeboard",
        events: Sequence[str] | None = None,
    ) -> None:
        """localstripe only. On real Stripe, endpoints are set up in the Dashboard
        (Developers > Webhooks) and their signing secret goes to STRIPE_WEBHOOK_SECRET."""
        if self.is_real_stripe:
            raise RuntimeError("configure webhook endpoints in the Stripe Dashboard")
        body: dict[str, Any] = {"url": url, "secret": secret}
        if events is not None:
            body["events"] = list(events)
        try:
            response = requests.post(
                f"{self.api_base}/_config/webhooks/{quote(endpoint_id, safe='')}",
                json=body,
                headers={"Authorization": f"Bearer {self._secret_key}"},
                timeout=self._timeout,
            )
        except requests.RequestException as e:
            raise ProviderUnavailable("localstripe is unreachable.") from e
        if response.status_code != 200:
            raise PaymentError(f"localstripe refused the webhook ({response.status_code}).", code="webhook_config")

    def ping(self) -> None:
        """One cheap authenticated call, for /healthz."""
        try:
            self.client.v1.customers.list(params={"limit": 1})
        except stripe.StripeError as e:
            log.warning("Stripe ping failed: %s", e)
            raise ProviderUnavailable(f"The payment provider did not answer ({type(e).__name__}).", code=e.code) from e
