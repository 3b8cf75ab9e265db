from decimal import ROUND_CEILING, Decimal

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from campaigns.models import Campaign
from campaigns.selectors import campaigns_visible_to
from core.money import currency_decimal_places
from rewards.models import AddOn, RewardTier


def rewards_visible_to(user: User | AnonymousUser) -> QuerySet[RewardTier]:
    """The tiers of the campaigns the user may see, cheapest first."""
    return (
        RewardTier.objects.select_related("campaign")
        .filter(campaign__in=campaigns_visible_to(user))
        .order_by("minimum", "id")
    )


def add_ons_visible_to(user: User | AnonymousUser) -> QuerySet[AddOn]:
    """The add-ons of the campaigns the user may see, cheapest first."""
    return (
        AddOn.objects.select_related("campaign")
        .prefetch_related("tiers")
        .filter(campaign__in=campaigns_visible_to(user))
        .order_by("price", "id")
    )


def late_price(*, minimum: Decimal, campaign: Campaign) -> Decimal:
    """A tier's minimum as a late pledge pays it: raised by the campaign's ``late_price_percent``,
    rounded up to the currency's minor unit (never below what the backers before paid)."""
    step = Decimal(1).scaleb(-currency_decimal_places(campaign.currency))
    raised = minimum * (Decimal(100) + Decimal(campaign.late_price_percent)) / Decimal(100)
    return raised.quantize(step, rounding=ROUND_CEILING)
