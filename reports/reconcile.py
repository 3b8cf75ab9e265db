"""Reconciliation: do the running totals, the pledges, the charges and the provider agree?

Every rule below is an invariant the services keep; a difference means money or data
went wrong somewhere (a crash between two writes, a bug, a manual change), and each
is reported in words an operator can act on. Reads only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.db.models import Count, Q, Sum

from campaigns.models import Campaign
from core.money import from_minor_units
from payouts.gateway import get_connect_gateway
from payouts.models import LedgerEntry, Payout
from pledges.models import Charge, Pledge, PledgeAddOn
from pledges.payments import get_gateway
from rewards.models import AddOn, RewardTier

ZERO = Decimal("0")
# Pledges that moved a campaign's running total and were never taken out of it again:
# cancelling takes a pledge out; closing, collecting, dropping and releasing do not.
COUNTED = Q(activated_at__isnull=False) & ~Q(state=Pledge.State.CANCELED)


def reconcile(*, campaign_ids: Iterable[int] | None = None, provider: bool = True) -> list[str]:
    """Every difference found, as sentences; an empty list when all agree."""
    campaigns = Campaign.objects.order_by("pk")
    if campaign_ids is not None:
        campaigns = campaigns.filter(pk__in=list(campaign_ids))
    differences = []
    for campaign in campaigns.iterator(chunk_size=200):
        differences += list(_campaign_differences(campaign))
        differences += list(_ledger_differences(campaign))
    if provider:
        differences += list(_provider_differences(campaigns))
        differences += list(_transfer_differences(campaigns))
    return differences


def _campaign_differences(campaign: Campaign) -> Iterator[str]:
    name = f"campaign {campaign.pk} ({campaign.title})"
    pledges = Pledge.objects.filter(campaign=campaign)
    counted = pledges.filter(COUNTED).aggregate(total=Sum("amount"), count=Count("pk"))
    if (counted["total"] or ZERO) != campaign.pledged:
        yield f"{name}: pledged total {campaign.pledged} but its pledges add up to {counted['total'] or ZERO}"
    if counted["count"] != campaign.backers_count:
        yield f"{name}: {campaign.backers_count} backers counted but {counted['count']} pledges count"
    charges = Charge.objects.filter(pledge__campaign=campaign, state=Charge.State.SUCCEEDED)
    paid = charges.aggregate(total=Sum("amount"), count=Count("pk"), refunded=Sum("refunded_amount"))
    if (paid["total"] or ZERO) != campaign.collected or paid["count"] != campaign.collected_count:
        yield (
            f"{name}: collected {campaign.collected} in {campaign.collected_count} payments "
            f"but its succeeded charges are {paid['total'] or ZERO} in {paid['count']}"
        )
    if (paid["refunded"] or ZERO) != campaign.refunded:
        yield f"{name}: refunded {campaign.refunded} but its charges were refunded {paid['refunded'] or ZERO}"
    succeeded_per_pledge = dict(charges.values("pledge_id").annotate(n=Count("pk")).values_list("pledge_id", "n"))
    for pledge_id, state in pledges.values_list("pk", "state"):
        has = succeeded_per_pledge.get(pledge_id, 0)
        should = 1 if state in (Pledge.State.COLLECTED, Pledge.State.REFUNDED) else 0
        if has != should:
            yield f"{name}: pledge {pledge_id} is {state} with {has} succeeded charge(s)"
    holding = dict(
        pledges.exclude(state=Pledge.State.CANCELED)
        .exclude(reward__isnull=True)
        .values("reward_id")
        .annotate(n=Count("pk"))
        .values_list("reward_id", "n")
    )
    for tier in RewardTier.objects.filter(campaign=campaign).order_by("pk"):
        held = holding.get(tier.pk, 0)
        if tier.claimed != held:
            yield f"{name}: tier {tier.pk} ({tier.title}) claims {tier.claimed} but {held} pledges hold it"
    # An add-on's units are held, like a tier, by every pledge not canceled (each release cancels).
    add_ons_held = dict(
        PledgeAddOn.objects.filter(pledge__campaign=campaign)
        .exclude(pledge__state=Pledge.State.CANCELED)
        .values("add_on_id")
        .annotate(n=Sum("quantity"))
        .values_list("add_on_id", "n")
    )
    for add_on in AddOn.objects.filter(campaign=campaign).order_by("pk"):
        held = add_ons_held.get(add_on.pk, 0)
        if add_on.claimed != held:
            yield f"{name}: add-on {add_on.pk} ({add_on.title}) claims {add_on.claimed} but pledges hold {held}"


def _provider_differences(campaigns) -> Iterator[str]:
    """Each succeeded charge is one succeeded payment at the provider, for its amount, refunded as
    recorded; and no pledge of ours was paid at the provider without a succeeded charge here."""
    gateway = get_gateway()
    ours = {
        charge.payment_intent_id: charge
        for charge in Charge.objects.filter(pledge__campaign__in=campaigns, state=Charge.State.SUCCEEDED)
    }
    # A pledge is known at the provider by its id in the metadata and its backer's Customer.
    pledges = {
        (str(pk), customer)
        for pk, customer in Pledge.objects.filter(campaign__in=campaigns).values_list("pk", "stripe_customer_id")
    }
    paid_at_provider: dict[str, list[str]] = defaultdict(list)
    seen = set()
    for payment in gateway.all_payments():
        if (
            payment.status == "succeeded"
            and payment.pledge_id is not None
            and (payment.pledge_id, payment.customer_id) in pledges
        ):
            paid_at_provider[payment.pledge_id].append(payment.payment_intent_id)
        charge = ours.get(payment.payment_intent_id)
        if charge is None:
            continue
        seen.add(payment.payment_intent_id)
        amount = from_minor_units(payment.amount_minor, payment.currency)
        if payment.status != "succeeded" or amount != charge.amount:
            yield (
                f"charge {charge.idempotency_key}: succeeded for {charge.amount} here, "
                f"{payment.status} for {amount} at the provider ({payment.payment_intent_id})"
            )
    for intent_id, charge in ours.items():
        if intent_id not in seen:
            yield f"charge {charge.idempotency_key}: succeeded here, unknown at the provider ({intent_id or 'no id'})"
    succeeded_here = {str(charge.pledge_id) for charge in ours.values()}
    for pledge_id, intents in sorted(paid_at_provider.items()):
        if len(intents) > 1:
            yield f"pledge {pledge_id}: paid {len(intents)} times at the provider ({', '.join(sorted(intents))})"
        elif pledge_id not in succeeded_here:
            yield f"pledge {pledge_id}: paid at the provider ({intents[0]}) but no succeeded charge here"
    refunded = gateway.all_refunds()
    for intent_id, charge in ours.items():
        at_provider = from_minor_units(refunded.get(intent_id, 0), charge.currency)
        if at_provider != charge.refunded_amount:
            yield (
                f"charge {charge.idempotency_key}: refunded {charge.refunded_amount} here, "
                f"{at_provider} at the provider"
            )


def _ledger_differences(campaign: Campaign) -> Iterator[str]:
    """The ledger holds each collected charge, each refund and each transfer the rows say happened."""
    name = f"campaign {campaign.pk} ({campaign.title})"
    sums = dict(
        LedgerEntry.objects.filter(campaign=campaign).values("kind").annotate(s=Sum("amount")).values_list("kind", "s")
    )
    kind = LedgerEntry.Kind
    if (sums.get(kind.CHARGE_COLLECTED) or ZERO) != campaign.collected:
        yield f"{name}: collected {campaign.collected} but the ledger holds {sums.get(kind.CHARGE_COLLECTED) or ZERO}"
    if -(sums.get(kind.REFUND) or ZERO) != campaign.refunded:
        yield f"{name}: refunded {campaign.refunded} but the ledger holds {-(sums.get(kind.REFUND) or ZERO)}"
    sent = dict(
        Payout.objects.filter(campaign=campaign, state=Payout.State.SENT)
        .values("kind")
        .annotate(s=Sum("amount"))
        .values_list("kind", "s")
    )
    for payout_kind, entry_kind, sign in (
        (Payout.Kind.TRANSFER, kind.TRANSFER, -1),
        (Payout.Kind.REVERSAL, kind.TRANSFER_REVERSAL, 1),
    ):
        rows, entries = sent.get(payout_kind) or ZERO, sign * (sums.get(entry_kind) or ZERO)
        if rows != entries:
            yield f"{name}: {payout_kind}s sent {rows} but the ledger holds {entries}"


def _transfer_differences(campaigns) -> Iterator[str]:
    """Each sent transfer is one transfer at the provider, for its amount, reversed as recorded; and
    no transfer of our campaigns (its transfer_group) is at the provider without a sent row here."""
    ours = {
        payout.provider_id: payout
        for payout in Payout.objects.filter(campaign__in=campaigns, kind=Payout.Kind.TRANSFER, state=Payout.State.SENT)
    }
    reversed_here = dict(
        Payout.objects.filter(campaign__in=campaigns, kind=Payout.Kind.REVERSAL, state=Payout.State.SENT)
        .values("reverses__provider_id")
        .annotate(s=Sum("amount"))
        .values_list("reverses__provider_id", "s")
    )
    groups = {f"campaign:{pk}" for pk in campaigns.values_list("pk", flat=True)}
    seen = set()
    for transfer in get_connect_gateway().all_transfers():
        payout = ours.get(transfer.id)
        if payout is None:
            if transfer.transfer_group in groups:
                yield f"transfer {transfer.id} ({transfer.transfer_group}) at the provider but not sent here"
            continue
        seen.add(transfer.id)
        amount = from_minor_units(transfer.amount_minor, transfer.currency)
        back = from_minor_units(transfer.amount_reversed_minor, transfer.currency)
        if amount != payout.amount:
            yield f"payout {payout.idempotency_key}: {payout.amount} here, {amount} at the provider ({transfer.id})"
        here = reversed_here.get(transfer.id) or ZERO
        if back != here:
            yield f"payout {payout.idempotency_key}: reversed {here} here, {back} at the provider"
    for transfer_id, payout in ours.items():
        if transfer_id not in seen:
            yield f"payout {payout.idempotency_key}: sent here, unknown at the provider ({transfer_id})"
