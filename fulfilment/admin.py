"""Surveys, answers, fulfilment and their e-mails for staff: read-only (the services write them).
A response's shipping address shows only to staff holding fulfilment.view_shipping_address."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin_tools import ViewOnlyAdmin, ViewOnlyInline, titled
from fulfilment.addresses import ADDRESS_FIELDS
from fulfilment.models import Fulfilment, FulfilmentMail, Survey, SurveyQuestion, SurveyResponse
from fulfilment.selectors import VIEW_SHIPPING_ADDRESS


class SurveyQuestionInline(ViewOnlyInline):
    model = SurveyQuestion
    fields = ["position", "tier", "kind", "prompt", "choices", "required"]
    raw_id_fields = ["tier"]


@admin.register(Survey)
class SurveyAdmin(ViewOnlyAdmin):
    list_display = ["id", "campaign", "state", "asks_address", "lock_at", "sent_at", "manual_reminders"]
    list_filter = [("state", titled(admin.ChoicesFieldListFilter, _("survey state")))]
    list_select_related = ["campaign"]
    search_fields = ["campaign__title"]
    raw_id_fields = ["campaign"]
    inlines = [SurveyQuestionInline]


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ViewOnlyAdmin):
    list_display = ["id", "survey", "pledge_id", "submitted_at", "updated_at"]
    raw_id_fields = ["survey", "pledge"]
    search_fields = ["pledge__backer__username", "pledge__backer__email"]

    def get_fields(self, request, obj=None):
        fields = ["survey", "pledge", "answers", "submitted_at", "updated_at"]
        if request.user.has_perm(VIEW_SHIPPING_ADDRESS):
            fields += list(ADDRESS_FIELDS)
        return fields


@admin.register(Fulfilment)
class FulfilmentAdmin(ViewOnlyAdmin):
    list_display = ["id", "pledge_id", "status", "carrier", "tracking_number", "shipped_at", "delivered_at"]
    list_filter = [("status", titled(admin.ChoicesFieldListFilter, _("fulfilment status")))]
    search_fields = ["tracking_number", "pledge__backer__email"]
    raw_id_fields = ["pledge"]


@admin.register(FulfilmentMail)
class FulfilmentMailAdmin(ViewOnlyAdmin):
    list_display = ["id", "kind", "pledge_id", "created_at", "sent_at", "attempts", "failed_at"]
    list_filter = [("kind", titled(admin.ChoicesFieldListFilter, _("e-mail kind")))]
    raw_id_fields = ["pledge"]
