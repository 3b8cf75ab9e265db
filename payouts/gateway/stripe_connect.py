"""The Connect gateway on Stripe, through the real ``stripe`` SDK (``StripeClient``).

Separate charges and transfers: the platform charged the backers (``pledges.payments``); here
the creator's Express account is created and onboarded (Account Links, login links), each
charge's processing fee is read from its balance transaction, and the creator's share moves
by Transfers (``transfer_group`` = the campaign) and comes back by transfer reversals.

Our idempotency does not lean on Stripe's: every transfer and reversal carries its key in
its metadata and is looked up by it before one is created again (as charges are).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import stripe

from pledges.payments.stripe_gateway import CountingRequestsClient, _id, _plain, _stripe_errors

from .base import AccountState, ChargeFee, ReversalResult, TransferResult

if TYPE_CHECKING:
    from stripe.params import (
        AccountCreateParams,
        AccountLinkCreateParams,
        TransferCreateParams,
        TransferReversalCreateParams,
    )

IDEMPOTENCY_METADATA_KEY = "idempotency_key"


def _account_state(account: Any) -> AccountState:
    data = _plain(account)
    requirements = data.get("requirements") or {}
    individual = data.get("individual") or {}
    company = data.get("company") or {}
    profile = data.get("business_profile") or {}
    person = " ".join(part for part in (individual.get("first_name"), individual.get("last_name")) if part)
    return AccountState(
        id=data["id"],
        details_submitted=bool(data.get("details_submitted")),
        payouts_enabled=bool(data.get("payouts_enabled")),
        requirements_due=[str(item) for item in (requirements.get("currently_due") or [])],
        verified_name=person or company.get("name") or profile.get("name") or "",
    )


def _transfer_result(transfer: Any) -> TransferResult:
    data = _plain(transfer)
    return TransferResult(
        id=data["id"],
        amount_minor=int(data["amount"]),
        currency=str(data["currency"]).lower(),
        destination=_id(data.get("destination")) or "",
        transfer_group=data.get("transfer_group") or "",
        amount_reversed_minor=int(data.get("amount_reversed") or 0),
        idempotency_key=(data.get("metadata") or {}).get(IDEMPOTENCY_METADATA_KEY),
    )


def _reversal_result(reversal: Any) -> ReversalResult:
    data = _plain(reversal)
    return ReversalResult(
        id=data["id"],
        transfer_id=_id(data.get("transfer")) or "",
        amount_minor=int(data["amount"]),
        idempotency_key=(data.get("metadata") or {}).get(IDEMPOTENCY_METADATA_KEY),
    )


class StripeConnectGateway:
    """``ConnectGateway`` on Stripe. Thread-safe: one instance per process is enough."""

    def __init__(self, *, secret_key: str, api_base: str = "", timeout: float = 20.0) -> None:
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": (api_base or stripe.DEFAULT_API_BASE).rstrip("/")},
            max_network_retries=0,  # retries are ours: Celery, with backoff
            http_client=CountingRequestsClient(timeout=timeout),
        )

    # -- connected accounts ----------------------------------------------------

    def create_account(self, *, email: str, country: str, metadata: dict[str, str]) -> AccountState:
        params: AccountCreateParams = {
            "type": "express",
            "country": country,
            "email": email,
            "capabilities": {"transfers": {"requested": True}},
            "metadata": metadata,
        }
        with _stripe_errors():
            return _account_state(self.client.v1.accounts.create(params=params))

    def retrieve_account(self, account_id: str) -> AccountState:
        with _stripe_errors():
            return _account_state(self.client.v1.accounts.retrieve(account_id))

    def create_account_link(self, *, account_id: str, refresh_url: str, return_url: str) -> str:
        params: AccountLinkCreateParams = {
            "account": account_id,
            "refresh_url": refresh_url,
            "return_url": return_url,
            "type": "account_onboarding",
        }
        with _stripe_errors():
            return self.client.v1.account_links.create(params=params).url

    def create_login_link(self, account_id: str) -> str:
        with _stripe_errors():
            return self.client.v1.accounts.login_links.create(account_id).url

    # -- fees --------------------------------------------------------------------

    def charge_fee(self, payment_intent_id: str) -> ChargeFee | None:
        """The processing fee of a payment's charge; None while it has no balance transaction.

        One call: the intent with its charge and the charge's balance transaction expanded (an
        emulator that leaves either as an id costs a retrieval each)."""
        with _stripe_errors():
            intent = _plain(
                self.client.v1.payment_intents.retrieve(
                    payment_intent_id, params={"expand": ["latest_charge.balance_transaction"]}
                )
            )
            charge = intent.get("latest_charge")
            if isinstance(charge, str):
                charge = _plain(self.client.v1.charges.retrieve(charge))
            txn = (charge or {}).get("balance_transaction")
            if not txn:
                return None
            if isinstance(txn, str):
                txn = _plain(self.client.v1.balance_transactions.retrieve(txn))
        txn = _plain(txn)
        return ChargeFee(
            fee_minor=int(txn.get("fee") or 0), currency=str(txn["currency"]).lower(), balance_transaction_id=txn["id"]
        )

    # -- transfers ---------------------------------------------------------------

    def create_transfer(
        self,
        *,
        amount_minor: int,
        currency: str,
        destination: str,
        transfer_group: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> TransferResult:
        if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
            raise ValueError(f"amount_minor must be a positive int, not {amount_minor!r}")
        params: TransferCreateParams = {
            "amount": amount_minor,
            "currency": currency.lower(),
            "destination": destination,
            "transfer_group": transfer_group,
            "metadata": {**metadata, IDEMPOTENCY_METADATA_KEY: idempotency_key},
        }
        with _stripe_errors():
            transfer = self.client.v1.transfers.create(params=params, options={"idempotency_key": idempotency_key})
        return _transfer_result(transfer)

    def find_transfer(self, *, transfer_group: str, idempotency_key: str) -> TransferResult | None:
        with _stripe_errors():
            page = self.client.v1.transfers.list(params={"transfer_group": transfer_group, "limit": 100})
            for transfer in page.auto_paging_iter():
                result = _transfer_result(transfer)
                if result.idempotency_key == idempotency_key:
                    return result
        return None

    def reverse_transfer(self, *, transfer_id: str, amount_minor: int, idempotency_key: str) -> ReversalResult:
        if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
            raise ValueError(f"amount_minor must be a positive int, not {amount_minor!r}")
        params: TransferReversalCreateParams = {
            "amount": amount_minor,
            "metadata": {IDEMPOTENCY_METADATA_KEY: idempotency_key},
        }
        with _stripe_errors():
            reversal = self.client.v1.transfers.reversals.create(
                transfer_id, params=params, options={"idempotency_key": idempotency_key}
            )
        return _reversal_result(reversal)

    def find_reversal(self, *, transfer_id: str, idempotency_key: str) -> ReversalResult | None:
        with _stripe_errors():
            page = self.client.v1.transfers.reversals.list(transfer_id, params={"limit": 100})
            for reversal in page.auto_paging_iter():
                result = _reversal_result(reversal)
                if result.idempotency_key == idempotency_key:
                    return result
        return None

    def all_transfers(self) -> Iterator[TransferResult]:
        with _stripe_errors():
            for transfer in self.client.v1.transfers.list(params={"limit": 100}).auto_paging_iter():
                yield _transfer_result(transfer)
