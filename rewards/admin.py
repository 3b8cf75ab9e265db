from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from core.admin_tools import PledgeboardAdmin, ViewOnlyInline, money, titled
from rewards.models import RewardTier
from rewards.services import reward_update

TIER_FIELDS = (
    "campaign",
    "title",
    "description",
    "minimum_amount",
    "shipping_amount",
    "limit",
    "claimed",
    "remaining",
    "estimated_delivery",
    "created_at",
)
# Words and dates only: price, shipping and stock follow rules the creator's API enforces.
EDITABLE_WHILE_OPEN = ("title", "description", "estimated_delivery")


class RewardTierInline(ViewOnlyInline):
    model = RewardTier
    fields = ("title", "minimum_amount", "shipping_amount", "limit", "claimed", "estimated_delivery")
    readonly_fields = fields
    show_change_link = True

    @admin.display(description=_("minimum"))
    def minimum_amount(self, tier: RewardTier) -> str:
        return money(tier.minimum, tier.campaign.currency)

    @admin.display(description=_("shipping"))
    def shipping_amount(self, tier: RewardTier) -> str:
        return money(tier.shipping, tier.campaign.currency)


@admin.register(RewardTier)
class RewardTierAdmin(PledgeboardAdmin):
    list_display = ("title", "campaign", "minimum_amount", "limit", "claimed", "remaining", "estimated_delivery")
    list_filter = (
        ("campaign__state", titled(admin.ChoicesFieldListFilter, _("campaign state"))),
        ("estimated_delivery", titled(admin.DateFieldListFilter, _("estimated delivery"))),
    )
    search_fields = ("title", "campaign__title")
    list_select_related = ("campaign",)
    raw_id_fields = ("campaign",)
    fields = TIER_FIELDS

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.campaign.state in (Campaign.State.DRAFT, Campaign.State.LIVE):
            return tuple(f for f in TIER_FIELDS if f not in EDITABLE_WHILE_OPEN)
        return TIER_FIELDS

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE_WHILE_OPEN}
        if changes:
            reward_update(reward=obj, **changes)

    @admin.display(description=_("minimum"), ordering="minimum")
    def minimum_amount(self, tier: RewardTier) -> str:
        return money(tier.minimum, tier.campaign.currency)

    @admin.display(description=_("shipping"), ordering="shipping")
    def shipping_amount(self, tier: RewardTier) -> str:
        return money(tier.shipping, tier.campaign.currency)
