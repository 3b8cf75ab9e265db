from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.text import shorten


class ExportJob(models.Model):
    """A report built in the background, with progress the requester can follow."""

    class Kind(models.TextChoices):
        BACKERS = "backers", _("Backers")
        CAMPAIGNS = "campaigns", _("Campaigns")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports", verbose_name=_("requested by")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    format = models.CharField(_("format"), max_length=4, default="csv")
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="exports",
        verbose_name=_("campaign"),
    )
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows total"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    file = models.CharField(_("file"), max_length=500, blank=True, help_text=_("Path under MEDIA_ROOT once done."))
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        db_table = "campaigns_exportjob"  # moved from the campaigns app with its rows
        ordering = ["-created_at", "-id"]
        # Reports that leave the platform: each needs its own permission, beyond viewing the rows.
        permissions = [
            ("export_backer_emails", "Can export backers' e-mail addresses"),
            ("export_platform_report", "Can export the platform report"),
        ]

    def __str__(self) -> str:
        what = _("%(kind)s export #%(number)s") % {"kind": self.get_kind_display(), "number": self.pk}
        of = f" · {shorten(self.campaign.title)}" if self.campaign is not None else ""
        return f"{what}{of} ({self.get_state_display()})"
