from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_countries import countries

from core.permissions import staff_may
from pledges.models import Charge, Pledge
from rewards.selectors import late_price


def pledges_visible_to(user: User) -> QuerySet[Pledge]:
    """A backer sees their own pledges; staff see all."""
    pledges = Pledge.objects.select_related("campaign", "backer").prefetch_related("add_on_lines__add_on")
    return pledges if staff_may(user, "pledges.view_pledge") else pledges.filter(backer=user)


def pledges_refundable_by(user: User) -> QuerySet[Pledge]:
    """A creator may refund the pledges to their campaigns (the service checks the window); staff any."""
    pledges = Pledge.objects.select_related("campaign", "backer")
    return pledges if staff_may(user, "pledges.refund_pledge") else pledges.filter(campaign__creator=user)


# --- receipts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptLine:
    """One part of a pledge's amount: ``kind`` is "reward", "shipping", "add_on", "extra" or "pledge"
    (a pledge without a reward); the lines of a pledge add up to its amount exactly."""

    kind: str
    label: str
    amount: Decimal


@dataclass(frozen=True)
class Receipt:
    pledge: Pledge
    currency: str
    lines: list[ReceiptLine]
    total: Decimal
    charge: Charge | None
    charged_at: datetime | None
    card_last4: str
    payment_intent_id: str
    refunded: Decimal
    refunded_at: datetime | None
    remaining: Decimal


def pledge_receipt_lines(pledge: Pledge) -> list[ReceiptLine]:
    """The pledge's amount broken down: the reward's price (the late price for a late pledge), the
    shipping to its destination, each add-on line, and what the backer gave on top; without a
    reward, one line. The one place a receipt's lines come from (page, PDF, API): a new part of a
    pledge's price is a new line here."""
    campaign, reward, amount = pledge.campaign, pledge.reward, pledge.amount
    add_ons = [
        ReceiptLine("add_on", f"{line.quantity} \u00d7 {line.add_on.title}", line.total)
        for line in pledge.add_on_lines.select_related("add_on")
    ]
    add_ons_total = sum((line.amount for line in add_ons), Decimal(0))
    if reward is None:
        return [ReceiptLine("pledge", _("Pledge without a reward"), amount - add_ons_total), *add_ons]
    price = late_price(minimum=reward.minimum, campaign=campaign) if pledge.is_late else reward.minimum
    price_label = _("Reward: %(title)s (late price)") if pledge.is_late else _("Reward: %(title)s")
    shipping = min(pledge.shipping_amount, amount - add_ons_total)
    price = min(price, amount - add_ons_total - shipping)  # never more than was pledged, whatever changed since
    lines = [ReceiptLine("reward", price_label % {"title": reward.title}, price)]
    if shipping:
        destination = countries.name(str(pledge.shipping_country)) if pledge.shipping_country else ""
        label = _("Shipping to %(country)s") % {"country": destination} if destination else _("Shipping")
        lines.append(ReceiptLine("shipping", label, shipping))
    lines += add_ons
    extra = amount - price - shipping - add_ons_total
    if extra:
        lines.append(ReceiptLine("extra", _("Extra support"), extra))
    return lines


def pledge_receipt(pledge: Pledge) -> Receipt | None:
    """What a receipt shows: None until the pledge is charged (an errored or active one has none)."""
    charge = pledge.charges.filter(state=Charge.State.SUCCEEDED).first()
    if charge is None:
        return None
    return Receipt(
        pledge=pledge,
        currency=charge.currency,
        lines=pledge_receipt_lines(pledge),
        total=charge.amount,
        charge=charge,
        charged_at=pledge.collected_at or charge.updated_at,
        card_last4=charge.card_last4,
        payment_intent_id=charge.payment_intent_id,
        refunded=charge.refunded_amount,
        refunded_at=charge.refunded_at,
        remaining=charge.amount - charge.refunded_amount,
    )


def pledges_receipt_visible_to(user: User) -> QuerySet[Pledge]:
    """Whose receipts a user may read: their own; staff holding ``pledges.view_pledge`` any."""
    return pledges_visible_to(user).select_related("reward", "campaign__creator")
