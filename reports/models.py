from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _

from core.text import shorten


class ExportJob(models.Model):
    """A report built in the background, with progress the requester can follow."""

    class Kind(models.TextChoices):
        BACKERS = "backers"
        CAMPAIGNS = "campaigns"

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    format = models.CharField(max_length=4, default="csv")
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, null=True, blank=True, related_name="exports"
    )
    filters = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.CharField(max_length=500, blank=True, help_text="Path under MEDIA_ROOT once done.")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "campaigns_exportjob"  # moved from the campaigns app with its rows
        ordering = ["-created_at", "-id"]
        # Reports that leave the platform: each needs its own permission, beyond viewing the rows.
        permissions = [
            ("export_backer_emails", "Can export backers' e-mail addresses"),
            ("export_platform_report", "Can export the platform report"),
        ]

    def __str__(self) -> str:
        what = _("%(kind)s export #%(number)s") % {"kind": self.get_kind_display(), "number": self.pk}
        of = f" · {shorten(self.campaign.title)}" if self.campaign_id else ""
        return f"{what}{of} ({self.get_state_display()})"
