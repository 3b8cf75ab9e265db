"""The staff's side of the community: the report queue (open reports first), comments (hide and
show again), follows, referral tags and the community's e-mails."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from community import services
from community.models import Comment, CommunityMail, LaunchFollow, ReferralTag, Report
from core.admin_tools import ViewOnlyAdmin, titled
from core.errors import NotAllowed


class OpenFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return (("yes", _("Open")), ("no", _("Resolved")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(Report)
class ReportAdmin(ViewOnlyAdmin):
    """The staff's queue of reported comments and campaigns (``?open=yes``)."""

    list_display = ("__str__", "campaign", "reason", "reporter", "created_at", "resolved_at")
    list_filter = (
        OpenFilter,
        ("reason", titled(admin.ChoicesFieldListFilter, _("reason"))),
        ("comment", titled(admin.EmptyFieldListFilter, _("comment"))),
    )
    search_fields = ("campaign__title", "reporter__username", "text")
    list_select_related = ("campaign", "reporter")
    raw_id_fields = ("campaign", "comment", "reporter", "resolved_by")
    actions = ("resolve", "hide_comments")
    ordering = ("-resolved_at", "created_at")

    @admin.action(description=_("Mark as resolved"), permissions=["view"])
    def resolve(self, request, queryset):
        done = 0
        for report in queryset:
            try:
                services.report_resolve(report=report, by=request.user)
                done += 1
            except NotAllowed as error:
                self.message_user(request, error.message, messages.ERROR)
                return
        self.message_user(
            request, ngettext("%(count)d report resolved.", "%(count)d reports resolved.", done) % {"count": done}
        )

    @admin.action(description=_("Hide the reported comments and resolve"), permissions=["view"])
    def hide_comments(self, request, queryset):
        done = 0
        for report in queryset.select_related("comment__campaign"):
            try:
                if report.comment is not None:
                    services.comment_hide(comment=report.comment, by=request.user)
                services.report_resolve(report=report, by=request.user)
                done += 1
            except NotAllowed as error:
                self.message_user(request, error.message, messages.ERROR)
                return
        self.message_user(
            request, ngettext("%(count)d report resolved.", "%(count)d reports resolved.", done) % {"count": done}
        )


@admin.register(Comment)
class CommentAdmin(ViewOnlyAdmin):
    list_display = ("__str__", "campaign", "author", "by_creator", "created_at", "hidden_at")
    list_filter = (
        ("hidden_at", titled(admin.EmptyFieldListFilter, _("hidden"))),
        ("by_creator", titled(admin.BooleanFieldListFilter, _("by the creator"))),
    )
    search_fields = ("body", "campaign__title", "author__username")
    list_select_related = ("campaign", "author")
    raw_id_fields = ("campaign", "update", "parent", "author", "hidden_by")
    actions = ("hide", "show")

    @admin.action(description=_("Hide the selected comments"), permissions=["view"])
    def hide(self, request, queryset):
        self._set_hidden(request, queryset, hidden=True)

    @admin.action(description=_("Show the selected comments again"), permissions=["view"])
    def show(self, request, queryset):
        self._set_hidden(request, queryset, hidden=False)

    def _set_hidden(self, request, queryset, *, hidden: bool) -> None:
        for comment in queryset.select_related("campaign"):
            try:
                services.comment_hide(comment=comment, by=request.user, hidden=hidden)
            except NotAllowed as error:
                self.message_user(request, error.message, messages.ERROR)
                return
        self.message_user(request, _("Done."))


@admin.register(LaunchFollow)
class LaunchFollowAdmin(ViewOnlyAdmin):
    list_display = ("__str__", "campaign", "user", "created_at")
    list_select_related = ("campaign", "user")
    raw_id_fields = ("campaign", "user")


@admin.register(ReferralTag)
class ReferralTagAdmin(ViewOnlyAdmin):
    list_display = ("slug", "campaign", "created_at")
    list_select_related = ("campaign",)
    search_fields = ("slug", "campaign__title")
    raw_id_fields = ("campaign",)


@admin.register(CommunityMail)
class CommunityMailAdmin(ViewOnlyAdmin):
    list_display = ("__str__", "kind", "recipient", "created_at", "sent_at", "attempts", "failed_at")
    list_filter = (("kind", titled(admin.AllValuesFieldListFilter, _("kind"))),)
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient",)
    search_fields = ("recipient__username", "key")
