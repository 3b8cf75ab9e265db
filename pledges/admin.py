"""Pledges, charges and webhook events are written by the services only: here they are looked
at, searched, and acted on through the same services (refund, retry collection)."""

import json

from django.contrib import admin
from django.utils.html import format_html

from core.admin_tools import ViewOnlyAdmin, ViewOnlyInline, money, report_outcome, run_confirmed
from core.permissions import staff_may
from core.queue import enqueue_on_commit
from pledges.models import Charge, Pledge, WebhookEvent
from pledges.services import pledge_refund
from reports.backers import pledge_report
from reports.responses import report_response


class ChargeInline(ViewOnlyInline):
    model = Charge
    fields = ("attempt", "state", "charge_amount", "payment_intent_id", "failure_code", "created_at", "refunded_at")
    readonly_fields = fields
    ordering = ("attempt",)

    @admin.display(description="amount")
    def charge_amount(self, charge: Charge) -> str:
        return money(charge.amount, charge.currency)


@admin.register(Pledge)
class PledgeAdmin(ViewOnlyAdmin):
    list_display = ("id", "campaign", "backer", "backer_email", "reward", "pledge_amount", "state", "created_at")
    list_filter = (
        "state",
        "end_reason",
        "campaign__state",
        "campaign__funding_model",
        ("created_at", admin.DateFieldListFilter),
        ("collected_at", admin.DateFieldListFilter),
    )
    search_fields = ("backer__email", "backer__username", "campaign__title", "=stripe_customer_id", "=setup_intent_id")
    list_select_related = ("campaign", "backer", "reward")
    date_hierarchy = "created_at"
    inlines = (ChargeInline,)
    actions = ("refund_pledges", "retry_errored_pledges", "export_csv")
    show_full_result_count = False

    def has_move_money_permission(self, request) -> bool:
        """Collection retries: staff who may change pledges (the rows stay read-only)."""
        return staff_may(request.user, "pledges.change_pledge")

    def has_refund_permission(self, request) -> bool:
        return staff_may(request.user, "pledges.refund_pledge")

    @admin.display(description="e-mail", ordering="backer__email")
    def backer_email(self, pledge: Pledge) -> str:
        return pledge.backer.email

    @admin.display(description="amount", ordering="amount")
    def pledge_amount(self, pledge: Pledge) -> str:
        return money(pledge.amount, pledge.campaign.currency)

    @admin.action(description="Refund the selected collected pledges", permissions=["refund"])
    def refund_pledges(self, request, queryset):
        return run_confirmed(
            self,
            request,
            queryset,
            action="refund_pledges",
            title="Refund pledges",
            question="Refund these pledges in full? The money goes back to the backers' cards.",
            confirm_label="Yes, refund them",
            service=lambda pledge: pledge_refund(pledge=pledge, by=request.user),
            verb="pledge(s) refunded",
        )

    @admin.action(description="Retry collecting the selected errored pledges", permissions=["move_money"])
    def retry_errored_pledges(self, request, queryset):

        errored = list(queryset.filter(state=Pledge.State.ERRORED).order_by("pk").values_list("pk", flat=True))
        for pledge_id in errored:
            enqueue_on_commit("closing.tasks.collect_pledge", pledge_id)
        skipped = queryset.exclude(state=Pledge.State.ERRORED).count()
        failures = [f"{skipped} selected pledge(s) are not errored and were left alone."] if skipped else []
        verb = "errored pledge(s) queued for collection"
        report_outcome(self, request, done=len(errored), verb=verb, failures=failures)
        return None

    @admin.action(description="Export the selected pledges (CSV)")
    def export_csv(self, request, queryset):
        return report_response(pledge_report(queryset), "csv")


@admin.register(Charge)
class ChargeAdmin(ViewOnlyAdmin):
    list_display = ("idempotency_key", "pledge", "charge_amount", "state", "failure_code", "created_at", "refunded_at")
    list_filter = (
        "state",
        "currency",
        ("created_at", admin.DateFieldListFilter),
        ("refunded_at", admin.DateFieldListFilter),
    )
    search_fields = (
        "=idempotency_key",
        "=payment_intent_id",
        "=refund_id",
        "pledge__backer__email",
        "pledge__campaign__title",
    )
    list_select_related = ("pledge",)
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description="amount", ordering="amount")
    def charge_amount(self, charge: Charge) -> str:
        return money(charge.amount, charge.currency)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ViewOnlyAdmin):
    list_display = ("event_id", "type", "status", "received_at", "processed_at")
    list_filter = ("status", "type", ("received_at", admin.DateFieldListFilter))
    search_fields = ("=event_id", "type")
    date_hierarchy = "received_at"
    exclude = ("payload",)
    readonly_fields = ("payload_json",)
    show_full_result_count = False

    @admin.display(description="payload")
    def payload_json(self, event: WebhookEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(event.payload, indent=2, sort_keys=True))
