"""Reads of payouts: what is due, and a campaign's statement (every figure a sum of the ledger)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, Q, Sum

from campaigns.models import Campaign
from payouts.models import LedgerEntry, Payout, PayoutAccount

Kind = LedgerEntry.Kind
ZERO = Decimal("0")


def campaigns_due_for_payout(*, now: datetime) -> list[int]:
    """Successful campaigns PAYOUT_DELAY after their close whose ledger is not settled (something
    owed either way, a reserve to release) or whose payout is in flight; not those held."""
    open_payout = Payout.objects.filter(campaign=OuterRef("pk"), state=Payout.State.PENDING)
    held = Payout.objects.filter(campaign=OuterRef("pk"), state=Payout.State.HELD)
    reserve_kinds = (Kind.RESERVE_HELD, Kind.RESERVE_RELEASED)
    return list(
        Campaign.objects.filter(state=Campaign.State.SUCCESSFUL, closed_at__lte=now - settings.PAYOUT_DELAY)
        .annotate(
            balance=Sum("ledger_entries__amount"),
            reserve=Sum("ledger_entries__amount", filter=Q(ledger_entries__kind__in=reserve_kinds)),
            in_flight=Exists(open_payout),
            held=Exists(held),
        )
        .filter(held=False)
        .filter(
            Q(in_flight=True)
            | ~Q(balance=0)
            | (~Q(reserve=0) & Q(closed_at__lte=now - settings.PAYOUT_DELAY - settings.PAYOUT_RESERVE_HOLD))
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class Statement:
    campaign: Campaign
    currency: str
    gross: Decimal
    refunded: Decimal
    platform_fee: Decimal
    processing_fees: Decimal
    reserve: Decimal
    net: Decimal
    transferred: Decimal
    balance: Decimal  # net - transferred: what is still owed (negative: owed by the creator)
    transfers: list[Payout]
    payout_due_at: datetime | None
    held: str  # the staff's reason when they hold the campaign's payouts


def campaign_statement(*, campaign: Campaign) -> Statement:
    sums = dict(
        LedgerEntry.objects.filter(campaign=campaign).values("kind").annotate(s=Sum("amount")).values_list("kind", "s")
    )

    def total(*kinds: str) -> Decimal:
        return sum((sums.get(kind, ZERO) for kind in kinds), ZERO)

    gross = total(Kind.CHARGE_COLLECTED)
    refunded = -total(Kind.REFUND)
    platform_fee = -total(Kind.PLATFORM_FEE, Kind.PLATFORM_FEE_REFUND)
    processing = -total(Kind.PROCESSING_FEE)
    reserve = -total(Kind.RESERVE_HELD, Kind.RESERVE_RELEASED)
    net = gross - refunded - platform_fee - processing - reserve
    transferred = -total(Kind.TRANSFER, Kind.TRANSFER_REVERSAL)
    hold = getattr(campaign, "payout_hold", None) if hasattr(campaign, "payout_hold") else None
    closed_at = campaign.closed_at
    due = closed_at + settings.PAYOUT_DELAY if campaign.state == Campaign.State.SUCCESSFUL and closed_at else None
    return Statement(
        campaign=campaign,
        currency=campaign.currency,
        gross=gross,
        refunded=refunded,
        platform_fee=platform_fee,
        processing_fees=processing,
        reserve=reserve,
        net=net,
        transferred=transferred,
        balance=net - transferred,
        transfers=list(campaign.payouts.select_related("reverses").order_by("created_at", "pk")),
        payout_due_at=due,
        held=hold.reason if hold else "",
    )


def verified_name_of(user_id: int) -> str:
    """The name the payment provider verified for a creator who can be paid ("" if none)."""
    return (
        PayoutAccount.objects.filter(creator_id=user_id, details_submitted=True, payouts_enabled=True)
        .values_list("verified_name", flat=True)
        .first()
        or ""
    )


def payout_account_of(user: User) -> PayoutAccount | None:
    return PayoutAccount.objects.filter(creator=user).first()
