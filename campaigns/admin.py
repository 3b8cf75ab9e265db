"""Staff run the platform from here. Money and states are read-only: they move only through
the services (cancel, refund, collect), which the actions call; an edit goes through the
same service the API uses."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from campaigns.models import Campaign, Category
from campaigns.services import campaign_pick, campaign_update
from closing.services import campaign_cancel
from core.admin_tools import PledgeboardAdmin, money, run_confirmed, titled
from core.permissions import EXPORT_BACKER_EMAILS, EXPORT_PLATFORM_REPORT, staff_may
from reports.platform import platform_report
from reports.responses import report_response
from rewards.admin import RewardTierInline

PICK_CAMPAIGNS = "campaigns.pick_campaign"


@admin.register(Category)
class CategoryAdmin(PledgeboardAdmin):
    """The fixed list (a data migration): read here, never changed."""

    list_display = ("__str__", "slug", "parent", "position")
    list_select_related = ("parent",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


EDITABLE_WHILE_OPEN = ("title", "blurb", "category", "description")
CAMPAIGN_FIELDS = (
    "title",
    "slug",
    "blurb",
    "category",
    "picked_at",
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
class CampaignAdmin(PledgeboardAdmin):
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
        ("state", titled(admin.ChoicesFieldListFilter, _("campaign state"))),
        # The staff's review queue: ?review_state__exact=pending (docs/community.md).
        ("review_state", titled(admin.ChoicesFieldListFilter, _("review"))),
        ("funding_model", titled(admin.ChoicesFieldListFilter, _("funding model"))),
        ("currency", titled(admin.AllValuesFieldListFilter, _("currency"))),
        ("deadline", titled(admin.DateFieldListFilter, _("deadline"))),
        ("launched_at", titled(admin.DateFieldListFilter, _("launched"))),
        ("closed_at", titled(admin.DateFieldListFilter, _("closed"))),
        ("picked_at", titled(admin.EmptyFieldListFilter, _("picked by staff"))),
        ("category", titled(admin.RelatedOnlyFieldListFilter, _("category"))),
    )
    search_fields = ("title", "slug", "creator__username", "creator__email")
    list_select_related = ("creator",)
    raw_id_fields = ("creator", "reviewed_by")
    date_hierarchy = "deadline"
    inlines = (RewardTierInline,)
    actions = ("cancel_campaigns", "pick_campaigns", "unpick_campaigns", "export_csv", "export_xlsx")
    show_full_result_count = False

    def has_export_platform_report_permission(self, request) -> bool:
        return staff_may(request.user, EXPORT_PLATFORM_REPORT)

    def has_pick_permission(self, request) -> bool:
        return staff_may(request.user, PICK_CAMPAIGNS)

    def has_export_backer_emails_permission(self, request) -> bool:
        return staff_may(request.user, EXPORT_BACKER_EMAILS)

    def _shown(self, request, fields: tuple[str, ...]) -> tuple[str, ...]:
        """The backer report (their e-mail addresses) is linked only for staff allowed to export it."""
        if self.has_export_backer_emails_permission(request):
            return fields
        return tuple("reports_without_emails" if name == "reports" else name for name in fields)

    def get_fields(self, request, obj=None):
        return self._shown(request, CAMPAIGN_FIELDS)

    def has_add_permission(self, request) -> bool:
        return False  # creators create campaigns; the admin has no goal/deadline rules of its own

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a campaign with money on its books is never deleted

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.state in (Campaign.State.DRAFT, Campaign.State.LIVE):
            return self._shown(request, tuple(f for f in CAMPAIGN_FIELDS if f not in EDITABLE_WHILE_OPEN))
        return self._shown(request, CAMPAIGN_FIELDS)

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE_WHILE_OPEN}
        if changes:
            campaign_update(campaign=obj, **changes)

    @admin.display(description=_("goal"), ordering="goal")
    def goal_amount(self, campaign: Campaign) -> str:
        return money(campaign.goal, campaign.currency)

    @admin.display(description=_("pledged"), ordering="pledged")
    def pledged_amount(self, campaign: Campaign) -> str:
        return money(campaign.pledged, campaign.currency)

    @admin.display(description=_("collected"), ordering="collected")
    def collected_amount(self, campaign: Campaign) -> str:
        return money(campaign.collected, campaign.currency)

    @admin.display(description=_("refunded"), ordering="refunded")
    def refunded_amount(self, campaign: Campaign) -> str:
        return money(campaign.refunded, campaign.currency)

    @admin.display(description=_("funded"))
    def percent(self, campaign: Campaign) -> str:
        return f"{campaign.percent_funded}%"

    @admin.display(description=_("reports"))
    def reports(self, campaign: Campaign) -> str:
        return self._links(campaign, with_backer_report=True)

    @admin.display(description=_("reports"))
    def reports_without_emails(self, campaign: Campaign) -> str:
        return self._links(campaign, with_backer_report=False)

    def _links(self, campaign: Campaign, *, with_backer_report: bool) -> str:
        if campaign.pk is None:
            return ""
        links = [
            (reverse("campaign-stats", args=[campaign.pk]), _("funding stats")),
            (reverse("admin:pledges_pledge_changelist") + f"?campaign__id__exact={campaign.pk}", _("pledges")),
        ]
        if with_backer_report:
            links.insert(0, (reverse("campaign-backers", args=[campaign.pk]), _("backer report (CSV)")))
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    @admin.action(description=_("Cancel the selected campaigns (every pledge is released)"), permissions=["change"])
    def cancel_campaigns(self, request, queryset):
        return run_confirmed(
            self,
            request,
            queryset,
            action="cancel_campaigns",
            title=_("Cancel campaigns"),
            question=_("Cancel these campaigns? Their pledges are released and no card is charged."),
            confirm_label=_("Yes, cancel them"),
            service=lambda campaign: campaign_cancel(campaign=campaign),
            done_message=ngettext_lazy("%(count)d campaign canceled.", "%(count)d campaigns canceled.", "count"),
        )

    @admin.action(description=_("Add the selected campaigns to Projects we love"), permissions=["pick"])
    def pick_campaigns(self, request, queryset):
        return run_confirmed(
            self,
            request,
            queryset,
            action="pick_campaigns",
            title=_("Projects we love"),
            question=_("Show these campaigns on the home page under Projects we love?"),
            confirm_label=_("Yes, pick them"),
            service=lambda campaign: campaign_pick(campaign=campaign, picked=True),
            done_message=ngettext_lazy("%(count)d campaign picked.", "%(count)d campaigns picked.", "count"),
        )

    @admin.action(description=_("Remove the selected campaigns from Projects we love"), permissions=["pick"])
    def unpick_campaigns(self, request, queryset):
        return run_confirmed(
            self,
            request,
            queryset,
            action="unpick_campaigns",
            title=_("Projects we love"),
            question=_("Take these campaigns off Projects we love?"),
            confirm_label=_("Yes, take them off"),
            service=lambda campaign: campaign_pick(campaign=campaign, picked=False),
            done_message=ngettext_lazy("%(count)d campaign taken off.", "%(count)d campaigns taken off.", "count"),
        )

    @admin.action(
        description=_("Export the selected campaigns (platform report, CSV)"), permissions=["export_platform_report"]
    )
    def export_csv(self, request, queryset):
        return report_response(platform_report(queryset), "csv")

    @admin.action(
        description=_("Export the selected campaigns (platform report, XLSX)"), permissions=["export_platform_report"]
    )
    def export_xlsx(self, request, queryset):
        return report_response(platform_report(queryset), "xlsx")
