"""Payouts, payout accounts and the ledger are written by the services only: staff see every
payout here and release held ones through the same service (the hold itself, with its reason,
is POST /api/campaigns/<id>/payouts/hold/)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from core.admin_tools import ViewOnlyAdmin, money, run_confirmed, titled
from core.permissions import staff_may
from payouts.models import LedgerEntry, Payout, PayoutAccount, PayoutHold
from payouts.services import campaign_payouts_release


@admin.register(Payout)
class PayoutAdmin(ViewOnlyAdmin):
    list_display = ("id", "campaign", "kind", "payout_amount", "state", "hold_reason", "provider_id", "sent_at")
    list_filter = (
        ("state", titled(admin.ChoicesFieldListFilter, _("payout state"))),
        ("kind", titled(admin.ChoicesFieldListFilter, _("payout kind"))),
        ("sent_at", titled(admin.DateFieldListFilter, _("sent"))),
    )
    search_fields = ("campaign__title", "=provider_id", "=destination", "=idempotency_key")
    list_select_related = ("campaign",)
    raw_id_fields = ("campaign", "reverses")
    actions = ["release_payouts"]

    @admin.display(description=_("amount"))
    def payout_amount(self, payout: Payout) -> str:
        return money(payout.amount, payout.currency)

    def has_hold_permission(self, request) -> bool:
        return staff_may(request.user, "payouts.hold_payout")

    @admin.action(description=_("Release the selected campaigns' payouts"), permissions=["hold"])
    def release_payouts(self, request, queryset):
        return run_confirmed(
            self,
            request,
            queryset,
            action="release_payouts",
            title=_("Release payouts"),
            question=_("Lift the holds of these campaigns and send what they owe their creators?"),
            confirm_label=_("Yes, release them"),
            service=lambda payout: campaign_payouts_release(campaign=payout.campaign, by=request.user),
            done_message=ngettext_lazy(
                "%(count)d campaign's payouts released.", "%(count)d campaigns' payouts released.", "count"
            ),
        )


@admin.register(PayoutAccount)
class PayoutAccountAdmin(ViewOnlyAdmin):
    list_display = ("id", "creator", "stripe_account_id", "details_submitted", "payouts_enabled", "synced_at")
    list_filter = (("payouts_enabled", titled(admin.BooleanFieldListFilter, _("payouts enabled"))),)
    search_fields = ("creator__username", "creator__email", "=stripe_account_id")
    list_select_related = ("creator",)
    raw_id_fields = ("creator",)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ViewOnlyAdmin):
    list_display = ("id", "campaign", "kind", "entry_amount", "idempotency_key", "created_at")
    list_filter = (("kind", titled(admin.ChoicesFieldListFilter, _("ledger entry kind"))),)
    search_fields = ("campaign__title", "=idempotency_key")
    list_select_related = ("campaign",)
    raw_id_fields = ("campaign", "charge", "payout")

    @admin.display(description=_("amount"))
    def entry_amount(self, entry: LedgerEntry) -> str:
        return money(entry.amount, entry.currency)


@admin.register(PayoutHold)
class PayoutHoldAdmin(ViewOnlyAdmin):
    list_display = ("id", "campaign", "reason", "held_by", "held_at")
    list_select_related = ("campaign", "held_by")
    raw_id_fields = ("campaign", "held_by")
