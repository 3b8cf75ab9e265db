"""Comments, reports, follows (a coming-soon campaign, a creator), referral tags and sources, and
the community's e-mails (one row per message, sent by core.mail's drain)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.mail import TO_SEND, OutgoingMail


class Comment(models.Model):
    """A backer's (or the creator's) comment on a campaign, or on one of its updates; a reply
    has a parent (one level: a reply's parent is never a reply)."""

    BODY_MAX_LENGTH = 5_000

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="comments", verbose_name=_("campaign")
    )
    update = models.ForeignKey(
        "updates.CampaignUpdate",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="comments",
        verbose_name=_("update"),
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies", verbose_name=_("reply to")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("author")
    )
    # Written by the campaign's creator (shown as such).
    by_creator = models.BooleanField(_("by the creator"), default=False)
    body = models.TextField(_("comment"), max_length=BODY_MAX_LENGTH)
    # Rendered once when saved (core.markdown); pages and the API show it.
    body_html = models.TextField(_("comment as HTML"), blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    hidden_at = models.DateTimeField(_("hidden at"), null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("hidden by"),
    )

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["campaign", "update", "created_at"])]

    def __str__(self) -> str:
        return f"comment {self.pk} on campaign {self.campaign_id}"


class Report(models.Model):
    """Someone signed in reports a comment or a campaign to staff (a queue in the admin)."""

    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam")
        ABUSE = "abuse", _("Abusive or hateful")
        FRAUD = "fraud", _("Fraud or a scam")
        PROHIBITED = "prohibited", _("Prohibited content or item")
        INTELLECTUAL_PROPERTY = "ip", _("Infringes someone's rights")
        OTHER = "other", _("Something else")

    TEXT_MAX_LENGTH = 2_000

    # Empty: a visitor who was not signed in reported the campaign (comments need an account).
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reporter"),
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", verbose_name=_("campaign")
    )
    # The reported comment; empty: the campaign itself is reported.
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="reports", verbose_name=_("comment")
    )
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    text = models.TextField(_("text"), blank=True, max_length=TEXT_MAX_LENGTH)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["created_at"], condition=Q(resolved_at__isnull=True), name="report_open")]

    def __str__(self) -> str:
        what = f"comment {self.comment_id}" if self.comment_id else f"campaign {self.campaign_id}"
        return f"report {self.pk}: {what}"


class LaunchFollow(models.Model):
    """Someone asked to hear when a coming-soon campaign launches."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="launch_follows", verbose_name=_("campaign")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("launch follow")
        verbose_name_plural = _("launch follows")
        constraints = [models.UniqueConstraint(fields=["campaign", "user"], name="one_launch_follow_per_user")]

    def __str__(self) -> str:
        return f"user {self.user_id} follows campaign {self.campaign_id}"


class CreatorFollow(models.Model):
    """Someone follows a creator: an e-mail whenever they launch a campaign."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("creator")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("creator follow")
        verbose_name_plural = _("creator follows")
        constraints = [
            models.UniqueConstraint(fields=["creator", "user"], name="one_creator_follow_per_user"),
            models.CheckConstraint(condition=~Q(user=models.F("creator")), name="no_self_follow"),
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} follows creator {self.creator_id}"


class ReferralTag(models.Model):
    """A creator's own tag for links they share (?ref=<slug>); pledges through it are counted under it."""

    SLUG_MAX_LENGTH = 40

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="referral_tags", verbose_name=_("campaign")
    )
    slug = models.SlugField(_("tag"), max_length=SLUG_MAX_LENGTH)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("referral tag")
        verbose_name_plural = _("referral tags")
        ordering = ["slug"]
        constraints = [models.UniqueConstraint(fields=["campaign", "slug"], name="one_referral_tag_per_slug")]

    def __str__(self) -> str:
        return self.slug


class PledgeReferral(models.Model):
    """Where a pledge came from (kept through the checkout): "search", "category", "tag:<slug>",
    "site:<domain>"; a pledge without one came direct."""

    SOURCE_MAX_LENGTH = 120

    pledge = models.OneToOneField(
        "pledges.Pledge", on_delete=models.CASCADE, primary_key=True, related_name="+", verbose_name=_("pledge")
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", verbose_name=_("campaign")
    )
    source = models.CharField(_("source"), max_length=SOURCE_MAX_LENGTH)

    class Meta:
        verbose_name = _("pledge referral")
        verbose_name_plural = _("pledge referrals")
        indexes = [models.Index(fields=["campaign", "source"])]

    def __str__(self) -> str:
        return f"pledge {self.pledge_id} from {self.source}"


class CommentMailPreference(models.Model):
    """How a creator hears of new comments: one e-mail each (the default) or a daily digest."""

    class Mode(models.TextChoices):
        EACH = "each", _("An e-mail for each comment")
        DAILY = "daily", _("A daily digest")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+", verbose_name=_("user")
    )
    mode = models.CharField(_("comment e-mails"), max_length=8, choices=Mode.choices, default=Mode.EACH)

    class Meta:
        verbose_name = _("comment e-mail preference")
        verbose_name_plural = _("comment e-mail preferences")

    def __str__(self) -> str:
        return f"user {self.user_id}: {self.mode}"


class CommunityMail(OutgoingMail):
    """One community e-mail to one person; its key (event and recipient) is unique, so a retried
    task or fan-out sends nobody twice."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("recipient")
    )
    key = models.CharField(_("key"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=40)
    params = models.JSONField(_("params"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("community e-mail")
        verbose_name_plural = _("community e-mails")
        indexes = [models.Index(fields=["id"], condition=TO_SEND, name="community_mail_unsent")]

    def __str__(self) -> str:
        return f"{self.kind} to user {self.recipient_id}"
