from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin_tools import ViewOnlyAdmin, titled
from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(ViewOnlyAdmin):
    """Staff see what was sent, what is retrying, and what failed for good (with the last reason)."""

    list_display = ("key", "kind", "recipient", "created_at", "sent_at", "attempts", "failed_at", "last_error")
    list_filter = (
        ("kind", titled(admin.AllValuesFieldListFilter, _("kind of message"))),
        ("sent_at", titled(admin.EmptyFieldListFilter, _("sent"))),
        ("failed_at", titled(admin.EmptyFieldListFilter, _("failed for good"))),
    )
    search_fields = ("key", "recipient__username", "recipient__email")
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient",)
    date_hierarchy = "created_at"
