"""Pledges, charges and webhook events are written by the services only: here they are looked
at, searched, and acted on through the same services (refund, retry collection)."""

import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from core.admin_tools import ViewOnlyAdmin, ViewOnlyInline, money, redacted, report_outcome, run_confirmed, titled
from core.permissions import EXPORT_BACKER_EMAILS, staff_may
from core.queue import enqueue_on_commit
from core.text import person
from pledges.models import Charge, Pledge, PledgeAddOn, WebhookEvent
from pledges.services import pledge_refund
from reports.backers import pledge_report
from reports.responses import report_response


class ChargeInline(ViewOnlyInline):
    model = Charge
    fields = ("attempt", "state", "charge_amount", "payment_intent_id", "failure_code", "created_at", "refunded_at")
    readonly_fields = fields
    ordering = ("attempt",)

    @admin.display(description=_("amount"))
    def charge_amount(self, charge: Charge) -> str:
        return money(charge.amount, charge.currency)


class PledgeAddOnInline(ViewOnlyInline):
    model = PledgeAddOn
    fields = ("add_on", "quantity", "line_price")
    readonly_fields = fields

    @admin.display(description=_("unit price"))
    def line_price(self, line: PledgeAddOn) -> str:
        return money(line.unit_price, line.pledge.campaign.currency)


@admin.register(Pledge)
class PledgeAdmin(ViewOnlyAdmin):
    list_display = ("id", "backer_column", "campaign", "reward_title", "pledge_amount", "state", "created_at")
    list_display_links = ("id", "backer_column")
    list_filter = (
        ("state", titled(admin.ChoicesFieldListFilter, _("pledge state"))),
        ("end_reason", titled(admin.ChoicesFieldListFilter, _("why the pledge ended"))),
        ("campaign__state", titled(admin.ChoicesFieldListFilter, _("campaign state"))),
        ("campaign__funding_model", titled(admin.ChoicesFieldListFilter, _("funding model"))),
        ("created_at", titled(admin.DateFieldListFilter, _("pledged"))),
        ("collected_at", titled(admin.DateFieldListFilter, _("collected"))),
    )
    search_fields = ("backer__email", "backer__username", "campaign__title", "=stripe_customer_id", "=setup_intent_id")
    # Every row names its backer, campaign and tier: three joins, not three queries a row.
    list_select_related = ("campaign", "backer", "reward")
    # 25,000 backers and their campaigns: never a <select> of them all.
    raw_id_fields = ("backer", "campaign", "reward")
    date_hierarchy = "created_at"
    # The SetupIntent's client secret is left out here and refused in any lookup (PledgeboardAdmin).
    fields = (
        "backer",
        "campaign",
        "reward",
        "pledge_amount",
        "shipping_country",
        "pledge_shipping",
        "state",
        "end_reason",
        "stripe_customer_id",
        "setup_intent_id",
        "payment_method_id",
        "created_at",
        "updated_at",
        "expires_at",
        "activated_at",
        "ended_at",
        "collected_at",
        "errored_at",
        "next_retry_at",
        "refunded_at",
        "collection_enqueued_at",
    )
    readonly_fields = fields
    inlines = (PledgeAddOnInline, ChargeInline)
    actions = ("refund_pledges", "retry_errored_pledges", "export_csv")
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("campaign", "backer", "reward__campaign")

    @admin.display(description=_("shipping amount"))
    def pledge_shipping(self, pledge: Pledge) -> str:
        return money(pledge.shipping_amount, pledge.campaign.currency)

    def has_move_money_permission(self, request) -> bool:
        """Collection retries: staff who may change pledges (the rows stay read-only)."""
        return staff_may(request.user, "pledges.change_pledge")

    def has_refund_permission(self, request) -> bool:
        return staff_may(request.user, "pledges.refund_pledge")

    def has_export_backer_emails_permission(self, request) -> bool:
        """The export lists backers' e-mail addresses: reading pledges on screen is not enough."""
        return staff_may(request.user, EXPORT_BACKER_EMAILS)

    @admin.display(description=_("backer"), ordering="backer__email")
    def backer_column(self, pledge: Pledge) -> str:
        return person(pledge.backer)

    @admin.display(description=_("reward"), ordering="reward__minimum")
    def reward_title(self, pledge: Pledge) -> str:
        return pledge.reward.title if pledge.reward else "—"

    @admin.display(description=_("amount"), ordering="amount")
    def pledge_amount(self, pledge: Pledge) -> str:
        return money(pledge.amount, pledge.campaign.currency)

    @admin.action(description=_("Refund the selected collected pledges"), permissions=["refund"])
    def refund_pledges(self, request, queryset):
        return run_confirmed(
            self,
            request,
            queryset,
            action="refund_pledges",
            title=_("Refund pledges"),
            question=_("Refund these pledges in full? The money goes back to the backers' cards."),
            confirm_label=_("Yes, refund them"),
            service=lambda pledge: pledge_refund(pledge=pledge, by=request.user),
            done_message=ngettext_lazy("%(count)d pledge refunded.", "%(count)d pledges refunded.", "count"),
        )

    @admin.action(description=_("Retry collecting the selected errored pledges"), permissions=["move_money"])
    def retry_errored_pledges(self, request, queryset):
        errored = list(queryset.filter(state=Pledge.State.ERRORED).order_by("pk").values_list("pk", flat=True))
        for pledge_id in errored:
            enqueue_on_commit("closing.tasks.collect_pledge", pledge_id)
        skipped = queryset.exclude(state=Pledge.State.ERRORED).count()
        failures = []
        if skipped:
            left_alone = ngettext_lazy(
                "%(count)d selected pledge is not errored and was left alone.",
                "%(count)d selected pledges are not errored and were left alone.",
                "count",
            )
            failures.append(left_alone % {"count": skipped})
        done = ngettext_lazy(
            "%(count)d errored pledge queued for collection.",
            "%(count)d errored pledges queued for collection.",
            "count",
        )
        report_outcome(self, request, done=len(errored), done_message=done, failures=failures)
        return None

    @admin.action(
        description=_("Export the selected pledges with backers' e-mail addresses (CSV)"),
        permissions=["export_backer_emails"],
    )
    def export_csv(self, request, queryset):
        return report_response(pledge_report(queryset), "csv")


@admin.register(Charge)
class ChargeAdmin(ViewOnlyAdmin):
    list_display = ("idempotency_key", "pledge", "charge_amount", "state", "failure_code", "created_at", "refunded_at")
    list_filter = (
        ("state", titled(admin.ChoicesFieldListFilter, _("charge state"))),
        ("currency", titled(admin.AllValuesFieldListFilter, _("currency"))),
        ("created_at", titled(admin.DateFieldListFilter, _("attempted"))),
        ("refunded_at", titled(admin.DateFieldListFilter, _("refunded"))),
    )
    search_fields = (
        "=idempotency_key",
        "=payment_intent_id",
        "=refund_id",
        "pledge__backer__email",
        "pledge__campaign__title",
    )
    # The pledge column names its backer and campaign.
    list_select_related = ("pledge__backer", "pledge__campaign")
    raw_id_fields = ("pledge",)
    date_hierarchy = "created_at"
    fields = (
        "pledge",
        "attempt",
        "idempotency_key",
        "charge_amount",
        "state",
        "payment_intent_id",
        "submitted_at",
        "failure_code",
        "failure_message",
        "refunded",
        "refund_id",
        "refunded_at",
        "disputed_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("pledge__backer", "pledge__campaign")

    @admin.display(description=_("amount"), ordering="amount")
    def charge_amount(self, charge: Charge) -> str:
        return money(charge.amount, charge.currency)

    @admin.display(description=_("refunded amount"))
    def refunded(self, charge: Charge) -> str:
        return money(charge.refunded_amount, charge.currency)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ViewOnlyAdmin):
    list_display = ("event_id", "type", "status", "received_at", "processed_at")
    list_filter = (
        ("status", titled(admin.ChoicesFieldListFilter, _("handling"))),
        ("type", titled(admin.AllValuesFieldListFilter, _("event type"))),
        ("received_at", titled(admin.DateFieldListFilter, _("received"))),
    )
    search_fields = ("=event_id", "type")
    date_hierarchy = "received_at"
    fields = ("event_id", "type", "status", "error", "received_at", "processed_at", "payload_json")
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description=_("payload"))
    def payload_json(self, event: WebhookEvent) -> str:
        """The event as Stripe sent it, secrets hidden (a SetupIntent's carries its client secret)."""
        return format_html("<pre>{}</pre>", json.dumps(redacted(event.payload), indent=2, sort_keys=True))
