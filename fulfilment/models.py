"""After a successful campaign: the backer survey (questions, answers, shipping addresses), each
pledge's fulfilment (shipped, delivered, received) and the e-mails about them."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.mail import TO_SEND, OutgoingMail


class Survey(models.Model):
    """One per campaign: built by the creator after a success, sent once, answered until ``lock_at``."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")

    campaign = models.OneToOneField(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="survey", verbose_name=_("campaign")
    )
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.DRAFT)
    # Whether backers of tiers that ship physical rewards are asked for a shipping address.
    asks_address = models.BooleanField(_("asks for a shipping address"), default=True)
    # Backers may answer and change their answers until then.
    lock_at = models.DateTimeField(_("answers locked at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # The creator's own reminders to those who have not answered: how many, and the last one.
    manual_reminders = models.PositiveIntegerField(_("reminders sent by the creator"), default=0)
    last_manual_reminder_at = models.DateTimeField(_("last reminder by the creator"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("backer survey")
        verbose_name_plural = _("backer surveys")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"survey of campaign {self.campaign_id} ({self.state})"


class SurveyQuestion(models.Model):
    """A question for every backer (no tier) or for the backers of one tier."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Short text")
        CHOICE = "choice", _("One choice")
        CHOICES = "choices", _("Several choices")

    PROMPT_MAX_LENGTH = 200
    CHOICE_MAX_LENGTH = 100
    MAX_CHOICES = 30
    ANSWER_MAX_LENGTH = 500

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions", verbose_name=_("survey"))
    tier = models.ForeignKey(
        "rewards.RewardTier",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tier"),
        help_text=_("Empty: asked of every backer."),
    )
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    prompt = models.CharField(_("question"), max_length=PROMPT_MAX_LENGTH)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=True)

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["survey", "position"]
        constraints = [models.UniqueConstraint(fields=["survey", "position"], name="one_question_per_position")]

    def __str__(self) -> str:
        return self.prompt


class SurveyResponse(models.Model):
    """A backer's answers (question id → text or list of choices) and, if asked, where to ship."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses", verbose_name=_("survey"))
    pledge = models.OneToOneField(
        "pledges.Pledge", on_delete=models.CASCADE, related_name="survey_response", verbose_name=_("pledge")
    )
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    # The shipping address, as the country's format has it (fulfilment.addresses).
    name = models.CharField(_("name"), max_length=100, blank=True)
    address1 = models.CharField(_("address line 1"), max_length=100, blank=True)
    address2 = models.CharField(_("address line 2"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    state = models.CharField(_("state or province"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    phone = models.CharField(_("phone number"), max_length=30, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["survey", "pledge"]
        # Addresses are more than the rest of a response: staff need this to see them.
        permissions = [("view_shipping_address", "Can view backers' shipping addresses")]

    def __str__(self) -> str:
        return f"response of pledge {self.pledge_id}"


class Fulfilment(models.Model):
    """Where a collected pledge's reward is; no row yet means unfulfilled."""

    class Status(models.TextChoices):
        UNFULFILLED = "unfulfilled", _("Unfulfilled")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        RECEIVED = "received", _("Received")

    CARRIER_MAX_LENGTH = 60
    TRACKING_MAX_LENGTH = 60
    URL_MAX_LENGTH = 500

    pledge = models.OneToOneField(
        "pledges.Pledge", on_delete=models.CASCADE, related_name="fulfilment", verbose_name=_("pledge")
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.UNFULFILLED)
    carrier = models.CharField(_("carrier"), max_length=CARRIER_MAX_LENGTH, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=TRACKING_MAX_LENGTH, blank=True)
    tracking_url = models.URLField(_("tracking URL"), max_length=URL_MAX_LENGTH, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("fulfilment")
        verbose_name_plural = _("fulfilments")
        ordering = ["pledge"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="unfulfilled") | ~Q(tracking_number="") | Q(status__in=["delivered", "received"]),
                name="fulfilment_shipped_has_tracking",
            )
        ]

    def __str__(self) -> str:
        return f"pledge {self.pledge_id}: {self.status}"


class FulfilmentMail(OutgoingMail):
    """One e-mail to a backer about their reward (the survey, a reminder, shipped); ``key`` is unique,
    so a retried fan-out or a repeated reminder writes nobody twice."""

    class Kind(models.TextChoices):
        SURVEY = "survey", _("Survey")
        REMINDER = "reminder", _("Survey reminder")
        SHIPPED = "shipped", _("Shipped")

    pledge = models.ForeignKey(
        "pledges.Pledge", on_delete=models.CASCADE, related_name="fulfilment_mails", verbose_name=_("pledge")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    key = models.CharField(_("key"), max_length=100, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("fulfilment e-mail")
        verbose_name_plural = _("fulfilment e-mails")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["id"], condition=TO_SEND, name="fulfilment_mail_unsent")]

    def __str__(self) -> str:
        return f"{self.kind} to pledge {self.pledge_id}"
