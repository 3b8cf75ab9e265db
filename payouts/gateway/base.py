"""The Connect gateway interface: connected accounts, fees, transfers and their reversals.

Amounts cross this boundary as integer minor units, currencies as lowercase ISO 4217 codes.
Errors are the payment gateway's (``pledges.payments``): ``ProviderUnavailable`` (retry
later, nothing known to have happened) and ``PaymentError`` (the provider refused).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class AccountState:
    id: str
    details_submitted: bool
    payouts_enabled: bool
    requirements_due: list[str] = field(default_factory=list)
    verified_name: str = ""


@dataclass(frozen=True)
class ChargeFee:
    """A charge's processing fee from its balance transaction."""

    fee_minor: int
    currency: str
    balance_transaction_id: str


@dataclass(frozen=True)
class TransferResult:
    id: str
    amount_minor: int
    currency: str
    destination: str
    transfer_group: str
    amount_reversed_minor: int = 0
    idempotency_key: str | None = None


@dataclass(frozen=True)
class ReversalResult:
    id: str
    transfer_id: str
    amount_minor: int
    idempotency_key: str | None = None


class ConnectGateway(Protocol):
    def create_account(self, *, email: str, country: str, metadata: dict[str, str]) -> AccountState: ...

    def retrieve_account(self, account_id: str) -> AccountState: ...

    def create_account_link(self, *, account_id: str, refresh_url: str, return_url: str) -> str: ...

    def create_login_link(self, account_id: str) -> str: ...

    def charge_fee(self, payment_intent_id: str) -> ChargeFee | None: ...

    def create_transfer(
        self,
        *,
        amount_minor: int,
        currency: str,
        destination: str,
        transfer_group: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> TransferResult: ...

    def find_transfer(self, *, transfer_group: str, idempotency_key: str) -> TransferResult | None: ...

    def reverse_transfer(self, *, transfer_id: str, amount_minor: int, idempotency_key: str) -> ReversalResult: ...

    def find_reversal(self, *, transfer_id: str, idempotency_key: str) -> ReversalResult | None: ...

    def all_transfers(self) -> Iterator[TransferResult]: ...
