"""Reports over HTTP: backer report, platform report, funding stats, background exports.

Views only translate: they check who may ask, parse the query, and hand the rows
from campaigns.reports to a streaming response, or queue an export (202).
"""

from typing import Any

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from campaigns.selectors import campaigns_visible_to
from core.errors import Conflict, InvalidInput
from core.money import percent_funded
from core.permissions import IsCreatorOrStaffWhoExportsBackerEmails, IsStaffWhoExportsPlatformReport
from core.text import in_sentence
from fulfilment.selectors import may_view_addresses
from pledges.models import Pledge
from reports.backers import BackerFilters, backer_count, backer_report
from reports.models import ExportJob
from reports.platform import campaigns_for_report, parse_states, platform_report
from reports.responses import report_response
from reports.revenue import revenue_report
from reports.selectors import export_jobs_downloadable_by, export_jobs_visible_to
from reports.services import export_create, export_file_name, export_goes_async, export_open
from reports.stats import campaign_stats
from reports.writers import CONTENT_TYPES


class JsonOnly(BaseContentNegotiation):
    """Reports answer files or JSON whatever the Accept header says, and ``?format=`` picks the
    report's file format here, not a DRF renderer."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = JSONRenderer()
        return renderer, renderer.media_type


def _async_flag(request) -> bool | None:
    value = request.query_params.get("async")
    if value in (None, ""):
        return None
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise InvalidInput(_("async must be 1 or 0."), code="invalid_async")


# Shared, not nested: a queued report (202), the list of exports and one export answer this one shape.
class ExportJobOutputSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField(help_text="Whole percent of the rows written.")
    url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField(help_text="Set once the export is done.")

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "kind",
            "format",
            "campaign",
            "filters",
            "state",
            "rows_total",
            "rows_done",
            "progress",
            "error",
            "created_at",
            "finished_at",
            "url",
            "download_url",
        ]

    def get_progress(self, job: ExportJob) -> int:
        if job.state == ExportJob.State.DONE:
            return 100
        return min(100, job.rows_done * 100 // job.rows_total) if job.rows_total else 0

    def _absolute(self, name: str, job: ExportJob) -> str:
        path = reverse(name, args=[job.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_url(self, job: ExportJob) -> str:
        return self._absolute("export-detail", job)

    def get_download_url(self, job: ExportJob) -> str | None:
        return self._absolute("export-download", job) if job.state == ExportJob.State.DONE else None


def _accepted(request, job: ExportJob) -> Response:
    body = ExportJobOutputSerializer(job, context={"request": request}).data
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


ASYNC_PARAMETER = OpenApiParameter(
    "async",
    OpenApiTypes.STR,
    enum=["1", "0"],
    description="1: build in the background (202 with a job); 0: stream now. "
    "Default: in the background above EXPORT_ASYNC_THRESHOLD rows.",
)
FILE_ERRORS = {
    202: OpenApiResponse(ExportJobOutputSerializer, description="Queued; follow the job's url."),
    400: OpenApiResponse(description="Bad filter"),
    403: OpenApiResponse(description="Not yours"),
    404: OpenApiResponse(description="No such campaign, or not one you can see"),
}


class BackerReportApi(GenericAPIView):
    """The campaign's backer report as CSV: one row per pledge, backer numbers in pledge order."""

    permission_classes = [IsAuthenticated, IsCreatorOrStaffWhoExportsBackerEmails]
    content_negotiation_class = JsonOnly
    serializer_class = ExportJobOutputSerializer

    @extend_schema(
        operation_id="campaign_backer_report",
        parameters=[
            OpenApiParameter("reward", OpenApiTypes.STR, description="A reward id of this campaign, or 'none'."),
            OpenApiParameter(
                "state", OpenApiTypes.STR, description=f"Pledge states, comma-separated: {', '.join(Pledge.State)}."
            ),
            ASYNC_PARAMETER,
        ],
        responses={(200, "text/csv"): OpenApiTypes.BINARY, **FILE_ERRORS},
    )
    def get(self, request, campaign_id: int):
        campaign = get_object_or_404(campaigns_visible_to(request.user), pk=campaign_id)
        self.check_object_permissions(request, campaign)
        params = request.query_params
        filters = BackerFilters.parse(campaign=campaign, reward=params.get("reward"), state=params.get("state"))
        forced = _async_flag(request)
        rows = backer_count(campaign, filters)
        if export_goes_async(rows=rows, forced=forced):
            job = export_create(
                requested_by=request.user,
                kind=ExportJob.Kind.BACKERS,
                campaign=campaign,
                filters=filters.as_json(),
                rows_total=rows,
            )
            return _accepted(request, job)
        addresses = may_view_addresses(request.user, campaign)
        return report_response(backer_report(campaign, filters, addresses=addresses), "csv")


PLATFORM_REPORT_SCHEMA: dict[str, Any] = {
    "parameters": [
        OpenApiParameter("format", OpenApiTypes.STR, enum=["csv", "xlsx"], description="Default: the path's."),
        OpenApiParameter("state", OpenApiTypes.STR, description="Campaign states, comma-separated."),
        ASYNC_PARAMETER,
    ],
    "responses": {
        (200, "text/csv"): OpenApiTypes.BINARY,
        (200, CONTENT_TYPES["xlsx"]): OpenApiTypes.BINARY,
        **FILE_ERRORS,
    },
}


class PlatformReportApi(GenericAPIView):
    """Staff: every campaign's money and a summary by month and state, as CSV or XLSX."""

    permission_classes = [IsStaffWhoExportsPlatformReport]
    content_negotiation_class = JsonOnly
    serializer_class = ExportJobOutputSerializer
    fmt = "csv"

    @extend_schema(operation_id="platform_report", **PLATFORM_REPORT_SCHEMA)
    def get(self, request):
        fmt = (request.query_params.get("format") or self.fmt).lower()
        if fmt not in ("csv", "xlsx"):
            raise InvalidInput(_("format must be csv or xlsx."), code="invalid_format")
        states = parse_states(request.query_params.get("state"))
        campaigns = campaigns_for_report(states)
        rows = campaigns.count()
        if export_goes_async(rows=rows, forced=_async_flag(request)):
            job = export_create(
                requested_by=request.user,
                kind=ExportJob.Kind.CAMPAIGNS,
                format=fmt,
                filters={"states": list(states)},
                rows_total=rows,
            )
            return _accepted(request, job)
        return report_response(platform_report(campaigns), fmt)


REVENUE_SCHEMA: dict[str, Any] = {
    "parameters": [OpenApiParameter("format", OpenApiTypes.STR, enum=["csv", "xlsx"], description="Default: csv.")],
    "responses": {
        (200, "text/csv"): OpenApiTypes.BINARY,
        (200, CONTENT_TYPES["xlsx"]): OpenApiTypes.BINARY,
        **FILE_ERRORS,
    },
}


class PlatformRevenueApi(GenericAPIView):
    """Staff: the platform's fees per month and currency (from the payouts ledger), CSV or XLSX."""

    permission_classes = [IsStaffWhoExportsPlatformReport]
    content_negotiation_class = JsonOnly
    serializer_class = None

    @extend_schema(operation_id="platform_revenue", **REVENUE_SCHEMA)
    def get(self, request):
        fmt = (request.query_params.get("format") or "csv").lower()
        if fmt not in ("csv", "xlsx"):
            raise InvalidInput(_("format must be csv or xlsx."), code="invalid_format")
        return report_response(revenue_report(), fmt)


class PlatformReportXlsxApi(PlatformReportApi):
    fmt = "xlsx"

    @extend_schema(operation_id="platform_report_xlsx", **PLATFORM_REPORT_SCHEMA)
    def get(self, request):
        return super().get(request)


# --- funding stats ----------------------------------------------------------------------


def _money(value) -> str | None:
    return None if value is None else str(value)


class CampaignStatsApi(GenericAPIView):
    """Funding per day (UTC) and a projection of the final total; see campaigns/stats.py for the method."""

    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        class DaySerializer(serializers.Serializer):
            date = serializers.DateField()
            pledged = serializers.CharField(help_text="Decimal string in the campaign's currency.")
            backers = serializers.IntegerField(help_text="New backers that day.")
            cumulative = serializers.CharField()

            class Meta:
                ref_name = "StatsDay"  # the schema's component names predate the nesting

        class ProjectionSerializer(serializers.Serializer):
            method = serializers.ChoiceField(choices=["recent_average", "since_launch", "final"])
            daily_rate = serializers.CharField(allow_null=True)
            window_start = serializers.DateField(allow_null=True)
            window_end = serializers.DateField(allow_null=True)
            window_days = serializers.IntegerField()
            days_remaining = serializers.CharField()
            projected_total = serializers.CharField()
            projected_percent = serializers.IntegerField()
            reaches_goal = serializers.BooleanField()

            class Meta:
                ref_name = "Projection"

        campaign = serializers.IntegerField()
        state = serializers.CharField()
        currency = serializers.CharField()
        goal = serializers.CharField()
        pledged = serializers.CharField(help_text="Sum of the counted pledges; equals the campaign's total.")
        backers = serializers.IntegerField()
        percent_funded = serializers.IntegerField()
        launched_at = serializers.DateTimeField(allow_null=True)
        deadline = serializers.DateTimeField(allow_null=True)
        days = DaySerializer(many=True)
        projection = ProjectionSerializer(allow_null=True)

        class Meta:
            ref_name = "StatsOutput"

    serializer_class = OutputSerializer

    def get(self, request, campaign_id: int):
        campaign = get_object_or_404(campaigns_visible_to(request.user), pk=campaign_id)
        stats = campaign_stats(campaign=campaign)
        projection = stats.projection
        body = {
            "campaign": campaign.pk,
            "state": campaign.state,
            "currency": campaign.currency,
            "goal": _money(campaign.money(campaign.goal)),
            "pledged": _money(stats.total),
            "backers": stats.backers,
            "percent_funded": percent_funded(stats.total, campaign.goal),
            "launched_at": campaign.launched_at,
            "deadline": campaign.deadline,
            "days": [
                {"date": d.date, "pledged": str(d.pledged), "backers": d.backers, "cumulative": str(d.cumulative)}
                for d in stats.days
            ],
            "projection": None
            if projection is None
            else {
                "method": projection.method,
                "daily_rate": _money(projection.daily_rate),
                "window_start": projection.window_start,
                "window_end": projection.window_end,
                "window_days": projection.window_days,
                "days_remaining": str(projection.days_remaining),
                "projected_total": str(projection.projected_total),
                "projected_percent": projection.projected_percent,
                "reaches_goal": projection.projected_total >= campaign.goal,
            },
        }
        return Response(self.OutputSerializer(body).data)


# --- export jobs --------------------------------------------------------------------------


class ExportJobListApi(ListAPIView):
    """The exports you asked for (staff: everyone's), newest first."""

    permission_classes = [IsAuthenticated]
    serializer_class = ExportJobOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        return export_jobs_visible_to(self.request.user)


class ExportJobDetailApi(GenericAPIView):
    """State and progress of an export; ``download_url`` once it is done. The requester or staff only."""

    permission_classes = [IsAuthenticated]
    serializer_class = ExportJobOutputSerializer

    def get(self, request, job_id: int):
        job = get_object_or_404(export_jobs_visible_to(request.user), pk=job_id)
        return Response(ExportJobOutputSerializer(job, context={"request": request}).data)


class ExportJobDownloadApi(GenericAPIView):
    """The finished file, streamed from the exports storage. The requester, or staff allowed to
    export that kind of report."""

    permission_classes = [IsAuthenticated]
    content_negotiation_class = JsonOnly
    serializer_class = ExportJobOutputSerializer

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, CONTENT_TYPES["xlsx"]): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="No such export, or not yours"),
            409: OpenApiResponse(description="Not finished yet"),
        }
    )
    def get(self, request, job_id: int):
        job = get_object_or_404(export_jobs_downloadable_by(request.user), pk=job_id)
        if job.state != ExportJob.State.DONE:
            raise Conflict(
                _("This export is %(state)s, not ready for download.")
                % {"state": in_sentence(job.get_state_display())},
                code="export_not_ready",
            )
        opened = export_open(job)
        if opened is None:
            raise Conflict(_("The export's file is no longer there; ask for the report again."), code="export_gone")
        chunks, size = opened
        response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES.get(job.format, "application/octet-stream"))
        response["Content-Length"] = str(size)
        response["Content-Disposition"] = content_disposition_header(True, export_file_name(job))
        response["Cache-Control"] = "no-store"
        return response
