from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.mail import TO_SEND, OutgoingMail
from core.text import shorten


class CampaignUpdate(models.Model):
    """A creator's news to the campaign's public, its backers, or the backers of chosen tiers."""

    class Audience(models.TextChoices):
        PUBLIC = "public", _("Public")
        BACKERS = "backers", _("Backers")
        TIERS = "tiers", _("Tiers")

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="updates", verbose_name=_("campaign")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    # An e-mail to every backer and a section of the campaign page: a few thousand words at most.
    BODY_MAX_LENGTH = 20_000
    body = models.TextField(
        _("body"), max_length=BODY_MAX_LENGTH, help_text=_("Markdown; rendered and sanitized for the web and e-mail.")
    )
    # Rendered from the body by the services when it is saved (core.markdown); pages, API and e-mails show it.
    body_html = models.TextField(_("body as HTML"), blank=True, editable=False)
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices, default=Audience.PUBLIC)
    tiers = models.ManyToManyField(
        "rewards.RewardTier",
        blank=True,
        related_name="+",
        db_table="campaigns_campaignupdate_tiers",
        verbose_name=_("tiers"),
    )
    published_at = models.DateTimeField(_("published at"))
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    # Set when every delivery was handed to the mail backend or given up after its last attempt.
    fanout_finished_at = models.DateTimeField(_("fanout finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign update")
        verbose_name_plural = _("campaign updates")
        db_table = "campaigns_campaignupdate"  # moved from the campaigns app with its rows
        ordering = ["-published_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "number"], name="update_number_per_campaign")]

    def __str__(self) -> str:
        number = _("Update #%(number)s") % {"number": self.number}
        return f"{shorten(self.campaign.title)} · {number}: {self.title}"


class UpdateDelivery(OutgoingMail):
    """One e-mail of an update to one recipient; the unique pair makes a retried fan-out send nobody twice."""

    update = models.ForeignKey(
        CampaignUpdate, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("update")
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("recipient")
    )

    class Meta:
        verbose_name = _("update delivery")
        verbose_name_plural = _("update deliveries")
        db_table = "campaigns_updatedelivery"
        constraints = [models.UniqueConstraint(fields=["update", "recipient"], name="one_delivery_per_recipient")]
        indexes = [
            models.Index(fields=["update", "id"], condition=TO_SEND, name="delivery_unsent"),
        ]

    def __str__(self) -> str:
        return f"update {self.update_id} to user {self.recipient_id}"
