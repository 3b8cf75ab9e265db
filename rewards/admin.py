from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from core.admin_tools import PledgeboardAdmin, ViewOnlyInline, money, titled
from rewards.models import AddOn, RewardTier, ShippingRule
from rewards.services import add_on_update, reward_update, world_shipping

TIER_FIELDS = (
    "campaign",
    "title",
    "description",
    "minimum_amount",
    "ships",
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
    fields = ("title", "minimum_amount", "ships", "shipping_amount", "limit", "claimed", "estimated_delivery")
    readonly_fields = fields
    show_change_link = True

    @admin.display(description=_("minimum"))
    def minimum_amount(self, tier: RewardTier) -> str:
        return money(tier.minimum, tier.campaign.currency)

    @admin.display(description=_("rest of the world"))
    def shipping_amount(self, tier: RewardTier) -> str:
        return money(world_shipping(tier), tier.campaign.currency) if tier.ships else ""


class ShippingRuleInline(ViewOnlyInline):
    model = ShippingRule
    fields = ("country", "region", "rule_price")
    readonly_fields = fields

    @admin.display(description=_("price"))
    def rule_price(self, rule: ShippingRule) -> str:
        return money(rule.price, rule.tier.campaign.currency)


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
    inlines = (ShippingRuleInline,)

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


ADD_ON_FIELDS = (
    "campaign",
    "title",
    "description",
    "add_on_price",
    "limit",
    "claimed",
    "remaining",
    "max_per_backer",
    "tiers",
    "created_at",
)


@admin.register(AddOn)
class AddOnAdmin(PledgeboardAdmin):
    list_display = ("title", "campaign", "add_on_price", "limit", "claimed", "remaining", "max_per_backer")
    list_filter = (("campaign__state", titled(admin.ChoicesFieldListFilter, _("campaign state"))),)
    search_fields = ("title", "campaign__title")
    list_select_related = ("campaign",)
    raw_id_fields = ("campaign",)
    fields = ADD_ON_FIELDS

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.campaign.state in (Campaign.State.DRAFT, Campaign.State.LIVE):
            return tuple(f for f in ADD_ON_FIELDS if f not in ("title", "description"))
        return ADD_ON_FIELDS

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in ("title", "description")}
        if changes:
            add_on_update(add_on=obj, **changes)

    @admin.display(description=_("price"), ordering="price")
    def add_on_price(self, add_on: AddOn) -> str:
        return money(add_on.price, add_on.campaign.currency)
