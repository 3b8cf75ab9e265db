from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from campaigns.selectors import campaigns_visible_to
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
