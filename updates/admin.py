from django.contrib import admin

from core.admin_tools import ViewOnlyAdmin
from updates.models import CampaignUpdate


@admin.register(CampaignUpdate)
class CampaignUpdateAdmin(ViewOnlyAdmin):
    list_display = ("title", "campaign", "number", "audience", "published_at", "edited_at", "fanout_finished_at")
    list_filter = ("audience", ("published_at", admin.DateFieldListFilter))
    search_fields = ("title", "campaign__title", "author__username")
    list_select_related = ("campaign",)
    date_hierarchy = "published_at"
