from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from core.admin_tools import ViewOnlyAdmin, titled
from core.permissions import staff_may
from reports.models import ExportJob
from reports.selectors import platform_totals
from reports.services import export_files_remove


@admin.register(ExportJob)
class ExportJobAdmin(ViewOnlyAdmin):
    list_display = ("id", "kind", "format", "campaign", "requested_by", "state", "progress", "created_at", "download")
    list_filter = (
        ("state", titled(admin.ChoicesFieldListFilter, _("export state"))),
        ("kind", titled(admin.ChoicesFieldListFilter, _("report"))),
        ("format", titled(admin.AllValuesFieldListFilter, _("file format"))),
        ("created_at", titled(admin.DateFieldListFilter, _("asked for"))),
    )
    search_fields = ("requested_by__username", "requested_by__email", "campaign__title")
    list_select_related = ("campaign", "requested_by")
    raw_id_fields = ("campaign", "requested_by")
    readonly_fields = ("download",)

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("reports.delete_exportjob")

    @admin.display(description=_("progress"))
    def progress(self, job: ExportJob) -> str:
        return f"{job.rows_done}/{job.rows_total}"

    @admin.display(description=_("file"))
    def download(self, job: ExportJob) -> str:
        if job.state != ExportJob.State.DONE:
            return ""
        return format_html('<a href="{}">{}</a>', reverse("export-download", args=[job.pk]), _("download"))

    def _remove_files(self, jobs) -> None:
        for job in jobs:
            export_files_remove(job)

    def delete_model(self, request, obj):
        self._remove_files([obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        self._remove_files(queryset)
        super().delete_queryset(request, queryset)


# Dashboard permission: the figures come from the campaign rows, as the campaign changelist shows them.
DASHBOARD_PERMISSION = "campaigns.view_campaign"


def platform_dashboard(request):
    """The admin's platform totals: campaigns by state, money per currency, backers, charges that failed."""
    if not staff_may(request.user, DASHBOARD_PERMISSION):
        raise PermissionDenied
    totals = platform_totals()
    states = [(Campaign.State(state).label, count) for state, count in totals.campaigns_by_state.items()]
    context = {
        **admin.site.each_context(request),
        "title": _("Platform dashboard"),
        "totals": totals,
        "states": states,
        "campaign_count": sum(totals.campaigns_by_state.values()),
    }
    return TemplateResponse(request, "admin/pledgeboard/dashboard.html", context)
