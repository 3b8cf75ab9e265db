"""Staff run the platform from here. Money and states are read-only: they move only through
the services (cancel, refund, collect), which the actions call; an edit goes through the
same service the API uses."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join

from campaigns.models import Campaign
from campaigns.services import campaign_update
from closing.services import campaign_cancel
from core.admin_tools import money, run_confirmed
from reports.platform import platform_report
from reports.responses import report_response
from rewards.admin import RewardTierInline

EDITABLE_WHILE_OPEN = ("title", "description")
CAMPAIGN_FIELDS = (
    "title",
    "slug",
    "description",
    "creator",
    "state",
    "funding_model",
    "currency",
    "goal_amount",
    "deadline",
    "launched_at",
    "funded_at",
    "closed_at",
    "canceled_at",
    "pledged_amount",
    "backers_count",
    "collected_amount",
    "collected_count",
    "refunded_amount",
    "reports",
    "created_at",
    "updated_at",
)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "creator",
        "state",
        "funding_model",
        "goal_amount",
        "pledged_amount",
        "percent",
        "backers_count",
        "collected_amount",
        "deadline",
    )
    list_filter = (
        "state",
        "funding_model",
        "currency",
        ("deadline", admin.DateFieldListFilter),
        ("launched_at", admin.DateFieldListFilter),
        ("closed_at", admin.DateFieldListFilter),
    )
    search_fields = ("title", "slug", "creator__username", "creator__email")
    list_select_related = ("creator",)
    date_hierarchy = "deadline"
    fields = CAMPAIGN_FIELDS
    inlines = (RewardTierInline,)
    actions = ("cancel_campaigns", "export_csv", "export_xlsx")
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False  # creators create campaigns; the admin has no goal/deadline rules of its own

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a campaign with money on its books is never deleted

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.state in (Campaign.State.DRAFT, Campaign.State.LIVE):
            return tuple(f for f in CAMPAIGN_FIELDS if f not in EDITABLE_WHILE_OPEN)
        return CAMPAIGN_FIELDS

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE_WHILE_OPEN}
        if changes:
            campaign_update(campaign=obj, **changes)

    @admin.display(description="goal", ordering="goal")
    def goal_amount(self, campaign: Campaign) -> str:
        return money(campaign.goal, campaign.currency)

    @admin.display(description="pledged", ordering="pledged")
    def pledged_amount(self, campaign: Campaign) -> str:
        return money(campaign.pledged, campaign.currency)

    @admin.display(description="collected", ordering="collected")
    def collected_amount(self, campaign: Campaign) -> str:
        return money(campaign.collected, campaign.currency)

    @admin.display(description="refunded", ordering="refunded")
    def refunded_amount(self, campaign: Campaign) -> str:
        return money(campaign.refunded, campaign.currency)

    @admin.display(description="funded")
    def percent(self, campaign: Campaign) -> str:
        return f"{campaign.percent_funded}%"

    @admin.display(description="reports")
    def reports(self, campaign: Campaign) -> str:
        if campaign.pk is None:
            return ""
        links = [
            (reverse("campaign-backers", args=[campaign.pk]), "backer report (CSV)"),
            (reverse("campaign-stats", args=[campaign.pk]), "funding stats"),
            (reverse("admin:pledges_pledge_changelist") + f"?campaign__id__exact={campaign.pk}", "pledges"),
        ]
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    @admin.action(description="Cancel the selected campaigns (every pledge is released)", permissions=["change"])
    def cancel_campaigns(self, request, queryset):
        return run_confirmed(
            self,
            request,
            queryset,
            action="cancel_campaigns",
            title="Cancel campaigns",
            question="Cancel these campaigns? Their pledges are released and no card is charged.",
            confirm_label="Yes, cancel them",
            service=lambda campaign: campaign_cancel(campaign=campaign),
            verb="campaign(s) canceled",
        )

    @admin.action(description="Export the selected campaigns (platform report, CSV)")
    def export_csv(self, request, queryset):
        return report_response(platform_report(queryset), "csv")

    @admin.action(description="Export the selected campaigns (platform report, XLSX)")
    def export_xlsx(self, request, queryset):
        return report_response(platform_report(queryset), "xlsx")
