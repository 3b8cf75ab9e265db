"""Payouts' use cases: the ledger, fees, transfers and reversals, holds, connected accounts.

Exactly once, as collection does it: a Payout row with its idempotency key is committed before
the provider is called, marked ``submitted_at`` as it is sent; one found submitted is looked up
at the provider (the key in the transfer's metadata) before anything is sent again. A campaign's
payout runs under a PostgreSQL advisory lock on the campaign (no row lock across a provider
call) and at most one payout of a campaign is open (pending or held) at a time.

Fees (docs/money.md, "Payouts"): the platform fee is PLATFORM_FEE_PERCENT of each collected
charge, rounded half-up to the currency's minor unit; the processing fee is the provider's,
read from the charge's balance transaction. A refund returns the platform fee's share of the
refunded amount (as Kickstarter does); the provider keeps its processing fee.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from campaigns.services import campaign_lock
from core.errors import Conflict, InvalidInput, NotAllowed
from core.links import absolute_url
from core.locks import PAYOUT, PAYOUT_ACCOUNT, advisory_lock, try_advisory_lock
from core.money import currency_decimal_places, from_minor_units, to_minor_units
from core.permissions import staff_may
from core.queue import enqueue_on_commit
from payouts.gateway import AccountState, ReversalResult, TransferResult, get_connect_gateway
from payouts.models import ChargeFee, LedgerEntry, Payout, PayoutAccount, PayoutHold
from payouts.signals import payout_held, payout_sent
from pledges.models import Charge
from pledges.payments import PaymentError, ProviderUnavailable

log = logging.getLogger(__name__)

Kind = LedgerEntry.Kind
ZERO = Decimal("0")
# Why a transfer is held: the creator's account (cleared when the provider enables payouts),
# staff (cleared when staff release it), the provider's refusal (cleared by staff once the cause is gone).
ACCOUNT_HOLDS = ("no_payout_account", "payouts_disabled")
STAFF_HOLD = "staff_hold"


def half_up(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-currency_decimal_places(currency)), rounding=ROUND_HALF_UP)


def platform_fee_for(*, amount: Decimal, currency: str) -> Decimal:
    """PLATFORM_FEE_PERCENT of an amount, half-up to the currency's minor unit."""
    return half_up(amount * Decimal(settings.PLATFORM_FEE_PERCENT) / Decimal(100), currency)


def _entry(*, campaign_id: int, currency: str, kind: str, amount: Decimal, key: str, **links: object) -> bool:
    """One ledger entry per key; False when it was written before (a replay changes nothing)."""
    if amount == 0:
        return False
    _, created = LedgerEntry.objects.get_or_create(
        idempotency_key=key,
        defaults={"campaign_id": campaign_id, "currency": currency.upper(), "kind": kind, "amount": amount, **links},
    )
    return created


def campaign_balance(*, campaign_id: int) -> Decimal:
    """What the ledger owes the creator now (negative: the creator owes the platform)."""
    return LedgerEntry.objects.filter(campaign_id=campaign_id).aggregate(s=Sum("amount"))["s"] or ZERO


# -- collection and refunds (called inside their transactions, from receivers) ---------------


def ledger_record_collection(*, charge: Charge, campaign_id: int) -> None:
    """A charge succeeded: the amount collected and the platform's fee. The processing fee
    needs the provider and follows after the commit (``charge_fee_record``)."""
    common = {"campaign_id": campaign_id, "currency": charge.currency.upper(), "charge": charge}
    # One statement for both (collection is the hot path); a replay's rows are skipped by their keys.
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                **common,
                kind=Kind.CHARGE_COLLECTED,
                amount=charge.amount,
                idempotency_key=f"charge:{charge.pk}:collected",
            ),
            LedgerEntry(
                **common,
                kind=Kind.PLATFORM_FEE,
                amount=-platform_fee_for(amount=charge.amount, currency=charge.currency),
                idempotency_key=f"charge:{charge.pk}:platform_fee",
            ),
        ],
        ignore_conflicts=True,
    )


def _fee_share(fee: Decimal, part: Decimal, whole: Decimal, currency: str) -> Decimal:
    return half_up(fee * part / whole, currency)


def ledger_record_refund(*, charge: Charge, campaign_id: int, before: Decimal) -> None:
    """The provider's refunds of a charge grew from ``before`` to ``charge.refunded_amount``:
    the refund, and the platform fee's share of it returned. Keyed by the new total, so each
    increase is written once."""
    total, currency = charge.refunded_amount, charge.currency
    tag = to_minor_units(total, currency)
    _entry(
        campaign_id=campaign_id,
        currency=currency,
        kind=Kind.REFUND,
        amount=-(total - before),
        key=f"charge:{charge.pk}:refund:{tag}",
        charge=charge,
    )
    fee = -(
        LedgerEntry.objects.filter(charge=charge, kind=Kind.PLATFORM_FEE).values_list("amount", flat=True).first()
        or ZERO
    )
    returned = _fee_share(fee, total, charge.amount, currency) - _fee_share(fee, before, charge.amount, currency)
    _entry(
        campaign_id=campaign_id,
        currency=currency,
        kind=Kind.PLATFORM_FEE_REFUND,
        amount=returned,
        key=f"charge:{charge.pk}:platform_fee_refund:{tag}",
        charge=charge,
    )


def charge_fee_record(*, charge_id: int) -> ChargeFee | None:
    """Read a collected charge's processing fee from the provider and write it down (once).
    None when the provider has no balance transaction for it yet."""
    existing = ChargeFee.objects.filter(charge_id=charge_id).first()
    if existing is not None:
        return existing
    charge = Charge.objects.select_related("pledge").get(pk=charge_id)
    if charge.state != Charge.State.SUCCEEDED or not charge.payment_intent_id:
        return None
    # The gateway's HTTP client takes a slot of the shared provider budget (pledges.payments.ratelimit).
    fee = get_connect_gateway().charge_fee(charge.payment_intent_id)
    if fee is None:
        return None
    # No lock on the campaign's row: every charge and every fee of a collection took it in turn,
    # and under 15 to 25 charges a second that row, not the provider, set the pace (make bench,
    # docs/benchmarks.md). None is needed: the fee is one row per charge (unique) and one ledger
    # entry per key, and a payout first records every missing fee itself, its insert waiting on
    # this one's, so the balance it reads under the campaign's lock holds every fee written.
    with transaction.atomic():
        stored, created = ChargeFee.objects.get_or_create(
            charge=charge,
            defaults={
                "processing_fee_minor": fee.fee_minor,
                "currency": fee.currency.upper(),
                "balance_transaction_id": fee.balance_transaction_id,
            },
        )
        if created:
            _entry(
                campaign_id=charge.pledge.campaign_id,
                currency=charge.currency,
                kind=Kind.PROCESSING_FEE,
                amount=-from_minor_units(fee.fee_minor, fee.currency),
                key=f"charge:{charge.pk}:processing_fee",
                charge=charge,
            )
    return stored


def _record_missing_fees(campaign_id: int) -> bool:
    """Every collected charge's fee is known before money moves; False if one is still unknown."""
    missing = Charge.objects.filter(
        pledge__campaign_id=campaign_id, state=Charge.State.SUCCEEDED, fee__isnull=True
    ).values_list("pk", flat=True)
    return all(charge_fee_record(charge_id=charge_id) is not None for charge_id in missing)


# -- payouts ---------------------------------------------------------------------------------


def payout_due_at(campaign: Campaign) -> datetime | None:
    if campaign.state != Campaign.State.SUCCESSFUL or campaign.closed_at is None:
        return None
    return campaign.closed_at + settings.PAYOUT_DELAY


def _adjust_reserve(campaign: Campaign, now: datetime) -> None:
    """Hold PAYOUT_RESERVE_PERCENT of what was collected net of refunds until PAYOUT_RESERVE_HOLD
    after the payout was due; then release it. Written under the campaign's row lock."""
    sums = dict(
        LedgerEntry.objects.filter(campaign=campaign)
        .values_list("kind")
        .annotate(s=Sum("amount"))
        .values_list("kind", "s")
    )
    collected = sums.get(Kind.CHARGE_COLLECTED, ZERO) + sums.get(Kind.REFUND, ZERO)
    held = -(sums.get(Kind.RESERVE_HELD, ZERO) + sums.get(Kind.RESERVE_RELEASED, ZERO))
    due = payout_due_at(campaign)
    releasing = due is None or now >= due + settings.PAYOUT_RESERVE_HOLD
    target = ZERO if releasing else half_up(collected * settings.PAYOUT_RESERVE_PERCENT / 100, campaign.currency)
    target = max(target, ZERO)
    if target == held:
        return
    step = LedgerEntry.objects.filter(campaign=campaign, kind__in=(Kind.RESERVE_HELD, Kind.RESERVE_RELEASED)).count()
    _entry(
        campaign_id=campaign.pk,
        currency=campaign.currency,
        kind=Kind.RESERVE_HELD if target > held else Kind.RESERVE_RELEASED,
        amount=held - target,
        key=f"campaign:{campaign.pk}:reserve:{step + 1}",
    )


def _transfer_hold(campaign: Campaign) -> tuple[str, str] | None:
    """Why a transfer to this campaign's creator cannot go now, as (code, message)."""
    hold = PayoutHold.objects.filter(campaign=campaign).first()
    if hold is not None:
        return STAFF_HOLD, _("Held by the platform's staff: %(reason)s") % {"reason": hold.reason}
    account = PayoutAccount.objects.filter(creator_id=campaign.creator_id).first()
    if account is None:
        return "no_payout_account", _("Connect a payout account in your studio to receive this payout.")
    if not account.payouts_enabled:
        return "payouts_disabled", _(
            "Your payout account cannot receive payouts yet; finish its details in your studio."
        )
    return None


def _reversible(campaign: Campaign) -> list[tuple[Payout, Decimal]]:
    """Sent transfers with what is left to reverse of each, newest first."""
    left = []
    for transfer in campaign.payouts.filter(kind=Payout.Kind.TRANSFER, state=Payout.State.SENT).order_by("-pk"):
        reversed_ = transfer.reversals.filter(state=Payout.State.SENT).aggregate(s=Sum("amount"))["s"] or ZERO
        if transfer.amount - reversed_ > 0:
            left.append((transfer, transfer.amount - reversed_))
    return left


@transaction.atomic
def _open_payout(*, campaign_id: int, now: datetime) -> Payout | None:
    """The open payout of the campaign, or a new one for what the ledger owes (a transfer)
    or is owed (a reversal of a transfer sent); None when nothing moves."""
    campaign = campaign_lock(campaign_id=campaign_id)
    open_payout = campaign.payouts.filter(state__in=(Payout.State.PENDING, Payout.State.HELD)).first()
    if open_payout is not None:
        return open_payout
    _adjust_reserve(campaign, now)
    balance = campaign_balance(campaign_id=campaign_id)
    sequence = campaign.payouts.count() + 1
    key = f"campaign:{campaign.pk}:payout:{sequence}"
    common = {"campaign": campaign, "currency": campaign.currency, "idempotency_key": key}
    if balance > 0:
        account = PayoutAccount.objects.filter(creator_id=campaign.creator_id).first()
        hold = _transfer_hold(campaign)
        payout = Payout.objects.create(
            **common,
            kind=Payout.Kind.TRANSFER,
            amount=balance,
            destination=account.stripe_account_id if account else "",
            state=Payout.State.HELD if hold else Payout.State.PENDING,
            hold_code=hold[0] if hold else "",
            hold_reason=hold[1] if hold else "",
        )
        if hold:
            payout_held.send(sender=Payout, payout=payout, notify_staff=False)
        return payout
    reversible = _reversible(campaign)
    if balance < 0 and reversible:
        # A refund after the payout: take back what the creator was overpaid, from the newest transfer.
        transfer, left = reversible[0]
        return Payout.objects.create(
            **common,
            kind=Payout.Kind.REVERSAL,
            amount=min(-balance, left),
            destination=transfer.destination,
            reverses=transfer,
        )
    return None  # nothing owed, or a negative balance with nothing left to reverse: shown, not moved


def campaign_payout(*, campaign_id: int, now: datetime | None = None) -> Payout | None:
    """Move what the ledger owes a successful campaign's creator (PAYOUT_DELAY after the close).

    Returns the payout worked on (sent, or held with the reason), None when nothing is due or
    another worker has the campaign. ProviderUnavailable propagates: the payout stays pending,
    submitted, and the retry looks it up at the provider before sending anything again."""
    now = now or timezone.now()
    with try_advisory_lock(PAYOUT, campaign_id) as locked:
        if not locked:
            return None
        campaign = Campaign.objects.get(pk=campaign_id)
        due = payout_due_at(campaign)
        if due is None or now < due:
            return None
        if not _record_missing_fees(campaign_id):
            log.warning("campaign %s: a processing fee is not known yet; payout waits", campaign_id)
            return None
        payout = _open_payout(campaign_id=campaign_id, now=now)
        if payout is None or payout.state == Payout.State.HELD:
            return payout
        return _send(payout, now)


def _send(payout: Payout, now: datetime) -> Payout:
    gateway = get_connect_gateway()
    group = f"campaign:{payout.campaign_id}"
    if payout.kind == Payout.Kind.TRANSFER:
        hold = _transfer_hold(payout.campaign)
        if hold is not None:
            return payout_hold(payout_id=payout.pk, code=hold[0], reason=hold[1])
        if not payout.submitted_at:
            # The account may have been connected (or replaced) since the payout was written.
            payout.destination = PayoutAccount.objects.get(creator_id=payout.campaign.creator_id).stripe_account_id
            Payout.objects.filter(pk=payout.pk).update(destination=payout.destination)
    try:
        found: TransferResult | ReversalResult | None = None
        if payout.submitted_at:
            # It may have reached the provider before a crash: look before sending again.
            if payout.kind == Payout.Kind.TRANSFER:
                found = gateway.find_transfer(transfer_group=group, idempotency_key=payout.idempotency_key)
            else:
                assert payout.reverses is not None  # a reversal is always written with the transfer it reverses
                found = gateway.find_reversal(
                    transfer_id=payout.reverses.provider_id, idempotency_key=payout.idempotency_key
                )
        if found is None:
            Payout.objects.filter(pk=payout.pk).update(submitted_at=now, updated_at=now)
            minor = to_minor_units(payout.amount, payout.currency)
            if payout.kind == Payout.Kind.TRANSFER:
                found = gateway.create_transfer(
                    amount_minor=minor,
                    currency=payout.currency.lower(),
                    destination=payout.destination,
                    transfer_group=group,
                    idempotency_key=payout.idempotency_key,
                    metadata={"campaign_id": str(payout.campaign_id), "payout_id": str(payout.pk)},
                )
            else:
                assert payout.reverses is not None  # a reversal is always written with the transfer it reverses
                found = gateway.reverse_transfer(
                    transfer_id=payout.reverses.provider_id, amount_minor=minor, idempotency_key=payout.idempotency_key
                )
    except ProviderUnavailable:
        raise
    except PaymentError as refusal:
        log.error("payout %s refused by the provider: %s (%s)", payout.idempotency_key, refusal.message, refusal.code)
        return payout_hold(payout_id=payout.pk, code=refusal.code or "refused", reason=refusal.message, staff=True)
    assert found is not None  # looked up or sent above
    return payout_record_sent(payout_id=payout.pk, provider_id=found.id, now=now)


@transaction.atomic
def payout_record_sent(*, payout_id: int, provider_id: str, now: datetime | None = None) -> Payout:
    """The provider made the transfer (or reversal): the payout is sent and the ledger says so. Once."""
    now = now or timezone.now()
    campaign_id = Payout.objects.values_list("campaign_id", flat=True).get(pk=payout_id)
    campaign_lock(campaign_id=campaign_id)
    payout = Payout.objects.select_for_update().get(pk=payout_id)
    if payout.state == Payout.State.SENT:
        return payout
    payout.state, payout.provider_id, payout.sent_at = Payout.State.SENT, provider_id, now
    payout.hold_code = payout.hold_reason = ""
    payout.save()
    transfer = payout.kind == Payout.Kind.TRANSFER
    _entry(
        campaign_id=campaign_id,
        currency=payout.currency,
        kind=Kind.TRANSFER if transfer else Kind.TRANSFER_REVERSAL,
        amount=-payout.amount if transfer else payout.amount,
        key=f"payout:{payout.pk}",
        payout=payout,
    )
    payout_sent.send(sender=Payout, payout=payout)
    return payout


@transaction.atomic
def payout_hold(*, payout_id: int, code: str, reason: str, staff: bool = False) -> Payout:
    """Hold a payout with the reason; the creator (and, for a provider's refusal, staff) are told."""
    payout = Payout.objects.select_for_update().get(pk=payout_id)
    if payout.state == Payout.State.SENT:
        return payout
    payout.state, payout.hold_code, payout.hold_reason = Payout.State.HELD, code[:60], reason
    payout.save(update_fields=["state", "hold_code", "hold_reason", "updated_at"])
    payout_held.send(sender=Payout, payout=payout, notify_staff=staff)
    return payout


def _release_held(payouts: QuerySet[Payout]) -> list[int]:
    released: list[int] = []
    for payout in payouts.select_for_update():
        payout.state, payout.hold_code, payout.hold_reason = Payout.State.PENDING, "", ""
        payout.save(update_fields=["state", "hold_code", "hold_reason", "updated_at"])
        released.append(payout.campaign_id)
    return released


def _enqueue_payouts(campaign_ids: list[int]) -> None:
    for campaign_id in campaign_ids:
        enqueue_on_commit("payouts.tasks.pay_campaign", campaign_id)


@transaction.atomic
def campaign_payouts_hold(*, campaign: Campaign, by: User, reason: str) -> PayoutHold:
    """Staff hold a campaign's transfers (``payouts.hold_payout``) with a reason."""
    if not staff_may(by, "payouts.hold_payout"):
        raise NotAllowed(_("Only staff allowed to hold payouts may do that."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Say why the payout is held."), code="reason_required")
    campaign_lock(campaign_id=campaign.pk)
    if PayoutHold.objects.filter(campaign=campaign).exists():
        raise Conflict(_("This campaign's payouts are held already."), code="already_held")
    hold = PayoutHold.objects.create(campaign=campaign, reason=reason[:2000], held_by=by)
    log.warning("payouts of campaign %s held by %s: %s", campaign.pk, by.pk, reason)
    return hold


@transaction.atomic
def campaign_payouts_release(*, campaign: Campaign, by: User) -> list[int]:
    """Staff lift their hold (and retry a payout the provider refused, its cause gone)."""
    if not staff_may(by, "payouts.hold_payout"):
        raise NotAllowed(_("Only staff allowed to hold payouts may do that."))
    campaign_lock(campaign_id=campaign.pk)
    PayoutHold.objects.filter(campaign=campaign).delete()
    released = _release_held(Payout.objects.filter(campaign=campaign, state=Payout.State.HELD))
    _enqueue_payouts(released or [campaign.pk])
    return released


# -- connected accounts ------------------------------------------------------------------------


def _store_account(account: PayoutAccount, state: AccountState, now: datetime) -> None:
    account.details_submitted = state.details_submitted
    account.payouts_enabled = state.payouts_enabled
    account.requirements_due = state.requirements_due
    account.verified_name = state.verified_name if state.details_submitted else ""
    account.synced_at = now
    account.save()


def payout_account_get_or_create(*, creator: User) -> PayoutAccount:
    """The creator's Express account, created at the provider the first time (once per creator)."""
    with advisory_lock(PAYOUT_ACCOUNT, creator.pk):
        existing = PayoutAccount.objects.filter(creator=creator).first()
        if existing is not None:
            return existing
        state = get_connect_gateway().create_account(
            email=creator.email, country=settings.PAYOUT_CONNECT_COUNTRY, metadata={"creator_id": str(creator.pk)}
        )
        account = PayoutAccount(creator=creator, stripe_account_id=state.id)
        _store_account(account, state, timezone.now())
        return account


def payout_account_onboarding_link(*, creator: User, return_url: str, refresh_url: str) -> str:
    """Stripe's hosted onboarding for the creator's account (an Account Link, single use)."""
    account = payout_account_get_or_create(creator=creator)
    return get_connect_gateway().create_account_link(
        account_id=account.stripe_account_id, refresh_url=refresh_url, return_url=return_url
    )


def payout_account_login_link(*, creator: User) -> str:
    account = PayoutAccount.objects.filter(creator=creator).first()
    if account is None or not account.details_submitted:
        raise Conflict(_("Connect a payout account first."), code="no_payout_account")
    return get_connect_gateway().create_login_link(account.stripe_account_id)


def payout_account_sync(*, stripe_account_id: str, now: datetime | None = None) -> PayoutAccount | None:
    """Apply what the provider says about an account (``account.updated`` is only a hint).
    Transfers held for the account go again once it can take payouts; if it can no longer,
    the next transfer is held with a message."""
    now = now or timezone.now()
    if not PayoutAccount.objects.filter(stripe_account_id=stripe_account_id).exists():
        return None
    state = get_connect_gateway().retrieve_account(stripe_account_id)
    with transaction.atomic():
        account = PayoutAccount.objects.select_for_update().get(stripe_account_id=stripe_account_id)
        _store_account(account, state, now)
        if account.payouts_enabled:
            held = Payout.objects.filter(
                campaign__creator_id=account.creator_id, state=Payout.State.HELD, hold_code__in=ACCOUNT_HOLDS
            )
            _enqueue_payouts(_release_held(held))
    return account


def payouts_check_for_launch(*, creator: User) -> None:
    """PAYOUTS_REQUIRED_TO_LAUNCH: NotAllowed (``payouts_required``) unless the creator can be paid."""
    if not settings.PAYOUTS_REQUIRED_TO_LAUNCH:
        return
    if not PayoutAccount.objects.filter(creator=creator, payouts_enabled=True).exists():
        raise NotAllowed(
            _("Connect a payout account that can receive payouts before you launch: %(url)s")
            % {"url": absolute_url("studio-payouts")},
            code="payouts_required",
        )
