from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.mail import TO_SEND, OutgoingMail
from core.text import person


class Notification(OutgoingMail):
    """A platform e-mail to send; its key (event and object) is unique, so each goes out once."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    key = models.CharField(_("key"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=40)
    # Ids of the objects the e-mail is about (pledge_id, campaign_id, ...), rendered when sent.
    params = models.JSONField(_("params"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["kind", "created_at"]),
            models.Index(fields=["id"], condition=TO_SEND, name="notification_unsent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {person(self.recipient)}"


class Reminder(models.Model):
    """Someone asked to hear 48 hours before a campaign ends."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("user")
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="reminders", verbose_name=_("campaign")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [models.UniqueConstraint(fields=["user", "campaign"], name="one_reminder_per_campaign")]

    def __str__(self) -> str:
        return f"remind user {self.user_id} of campaign {self.campaign_id}"
