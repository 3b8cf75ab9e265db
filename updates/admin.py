from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin_tools import ViewOnlyAdmin, titled
from updates.models import CampaignUpdate


@admin.register(CampaignUpdate)
class CampaignUpdateAdmin(ViewOnlyAdmin):
    list_display = ("title", "campaign", "number", "audience", "published_at", "edited_at", "fanout_finished_at")
    list_filter = (
        ("audience", titled(admin.ChoicesFieldListFilter, _("audience"))),
        ("published_at", titled(admin.DateFieldListFilter, _("published"))),
    )
    search_fields = ("title", "campaign__title", "author__username")
    list_select_related = ("campaign",)
    raw_id_fields = ("campaign", "author")
    date_hierarchy = "published_at"
