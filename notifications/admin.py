from django.contrib import admin

from core.admin_tools import ViewOnlyAdmin
from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(ViewOnlyAdmin):
    """Staff see what was sent, what is retrying, and what failed for good (with the last reason)."""

    list_display = ("key", "kind", "recipient", "created_at", "sent_at", "attempts", "failed_at", "last_error")
    list_filter = ("kind", ("sent_at", admin.EmptyFieldListFilter), ("failed_at", admin.EmptyFieldListFilter))
    search_fields = ("key", "recipient__username", "recipient__email")
    list_select_related = ("recipient",)
    date_hierarchy = "created_at"
