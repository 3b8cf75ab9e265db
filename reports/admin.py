from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from core.admin_tools import ViewOnlyAdmin
from reports.exports import export_files_remove
from reports.models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(ViewOnlyAdmin):
    list_display = ("id", "kind", "format", "campaign", "requested_by", "state", "progress", "created_at", "download")
    list_filter = ("state", "kind", "format", ("created_at", admin.DateFieldListFilter))
    search_fields = ("requested_by__username", "requested_by__email", "campaign__title")
    list_select_related = ("campaign", "requested_by")
    readonly_fields = ("download",)

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("reports.delete_exportjob")

    @admin.display(description="progress")
    def progress(self, job: ExportJob) -> str:
        return f"{job.rows_done}/{job.rows_total}"

    @admin.display(description="file")
    def download(self, job: ExportJob) -> str:
        if job.state != ExportJob.State.DONE:
            return ""
        return format_html('<a href="{}">download</a>', reverse("export-download", args=[job.pk]))

    def _remove_files(self, jobs) -> None:
        for job in jobs:
            export_files_remove(job)

    def delete_model(self, request, obj):
        self._remove_files([obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        self._remove_files(queryset)
        super().delete_queryset(request, queryset)
