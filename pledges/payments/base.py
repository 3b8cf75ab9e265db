"""The payment gateway interface: result types, errors and the protocol.

Amounts cross this boundary as integer minor units (see ``money.py``); currencies
are lowercase ISO 4217 codes. Nothing here knows about Stripe's SDK types.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class PaymentError(Exception):
    """The provider refused a request; ``message`` can be shown to a user."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class CardDeclined(PaymentError):
    """The card was refused while being saved (SetupIntent confirmation)."""

    def __init__(
        self,
        message: str = "Your card was declined.",
        *,
        code: str | None = "card_declined",
        decline_code: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.decline_code = decline_code


class ProviderUnavailable(PaymentError):
    """Network error, timeout or 5xx: nothing is known to have happened; retry later."""


class RateLimited(ProviderUnavailable):
    """HTTP 429: back off, then retry."""


class InvalidWebhook(Exception):
    """A webhook with a bad signature, a stale timestamp or an unreadable body."""


@dataclass(frozen=True)
class SetupResult:
    id: str
    status: str
    client_secret: str
    customer_id: str
    payment_method_id: str | None

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    @property
    def requires_action(self) -> bool:
        """The browser must finish it (3-D Secure) with the client secret."""
        return self.status in ("requires_action", "requires_confirmation")


@dataclass(frozen=True)
class ChargeResult:
    payment_intent_id: str
    status: str  # "succeeded" | "failed" | "requires_action" | "processing"
    amount_minor: int
    currency: str
    failure_code: str | None = None
    failure_message: str | None = None
    # The key our attempt wrote into the PaymentIntent's metadata (None if not ours).
    idempotency_key: str | None = None
    # The card's last four digits, when the answer carries its charge (for receipts).
    card_last4: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


@dataclass(frozen=True)
class RefundResult:
    id: str
    status: str
    amount_minor: int


# Refunds that count: done, or on their way to the bank.
STANDING_REFUND = ("succeeded", "pending")


@dataclass(frozen=True)
class RefundTotal:
    """What the provider has refunded of one payment, all refunds together."""

    amount_minor: int
    latest_refund_id: str | None
    # The idempotency keys our refunds of it carry (in their metadata), failed ones included.
    keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ProviderPayment:
    """A PaymentIntent as the provider holds it, for reconciliation."""

    payment_intent_id: str
    status: str  # the provider's own status: "succeeded", "requires_payment_method", ...
    amount_minor: int
    currency: str
    pledge_id: str | None
    customer_id: str | None = None


class PaymentGateway(Protocol):
    def create_customer(self, *, email: str, name: str, metadata: dict[str, str]) -> str: ...

    def create_setup_intent(
        self, *, customer_id: str, payment_method_id: str | None, metadata: dict[str, str]
    ) -> SetupResult: ...

    def retrieve_setup_intent(self, setup_intent_id: str) -> SetupResult: ...

    def cancel_setup_intent(self, setup_intent_id: str, *, keep_card: bool = False) -> None: ...

    def detach_payment_method(self, payment_method_id: str) -> None: ...

    def charge_off_session(
        self,
        *,
        customer_id: str,
        payment_method_id: str,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> ChargeResult: ...

    def find_charge(self, *, customer_id: str, idempotency_key: str) -> ChargeResult | None: ...

    def retrieve_charge(self, payment_intent_id: str) -> ChargeResult: ...

    def refund(
        self,
        *,
        payment_intent_id: str,
        idempotency_key: str,
        amount_minor: int | None = None,
        known: RefundTotal | None = None,
    ) -> RefundResult: ...

    def refunds_of(self, payment_intent_id: str) -> RefundTotal: ...

    def all_payments(self) -> Iterator[ProviderPayment]: ...

    def all_refunds(self) -> dict[str, int]: ...

    def parse_webhook(self, *, payload: bytes, signature_header: str) -> dict[str, Any]: ...

    def register_webhook(
        self,
        *,
        url: str,
        secret: str,
        endpoint_id: str = "pledgeboard",
        events: Sequence[str] | None = None,
    ) -> None: ...

    def ping(self) -> None: ...
