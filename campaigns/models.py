from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from campaigns.money import quantize

# 15 integer digits: totals of a million maximal pledges still fit.
MONEY = {"max_digits": 18, "decimal_places": 3}


class Campaign(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft"
        LIVE = "live"
        SUCCESSFUL = "successful"
        FAILED = "failed"
        CANCELED = "canceled"

    class FundingModel(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", "All or nothing"
        FLEXIBLE = "flexible", "Keep what you raise"

    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="campaigns")
    title = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(blank=True)
    goal = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    funding_model = models.CharField(max_length=16, choices=FundingModel.choices, default=FundingModel.ALL_OR_NOTHING)
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    deadline = models.DateTimeField(null=True, blank=True)
    launched_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    funded_at = models.DateTimeField(null=True, blank=True)
    # Running totals of active pledges, kept exact by the pledge services; frozen at close.
    pledged = models.DecimalField(**MONEY, default=Decimal("0"))
    backers_count = models.PositiveIntegerField(default=0)
    # Money that actually moved, kept exact by collection and refunds.
    collected = models.DecimalField(**MONEY, default=Decimal("0"))
    collected_count = models.PositiveIntegerField(default=0)
    refunded = models.DecimalField(**MONEY, default=Decimal("0"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "deadline"])]
        constraints = [
            models.CheckConstraint(condition=Q(goal__gt=0), name="campaign_goal_positive"),
            models.CheckConstraint(condition=Q(pledged__gte=0), name="campaign_pledged_not_negative"),
            models.CheckConstraint(condition=Q(collected__gte=0), name="campaign_collected_not_negative"),
            models.CheckConstraint(condition=Q(refunded__lte=F("collected")), name="campaign_refunds_within_collected"),
            models.CheckConstraint(
                condition=~Q(state="live") | Q(deadline__isnull=False, launched_at__isnull=False),
                name="campaign_live_has_deadline",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def percent_funded(self) -> int:
        """Whole percent, rounded down, as crowdfunding sites show it (1192% for the reference campaign)."""
        return int(self.pledged * 100 // self.goal) if self.goal else 0

    @property
    def is_open_for_pledges(self) -> bool:
        from django.utils import timezone

        return self.state == self.State.LIVE and self.deadline is not None and self.deadline > timezone.now()

    def money(self, amount: Decimal) -> Decimal:
        return quantize(amount, self.currency)


class CampaignUpdate(models.Model):
    """A creator's news to the campaign's public, its backers, or the backers of chosen tiers."""

    class Audience(models.TextChoices):
        PUBLIC = "public"
        BACKERS = "backers"
        TIERS = "tiers"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown; rendered and sanitized for the web and e-mail.")
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.PUBLIC)
    tiers = models.ManyToManyField("rewards.RewardTier", blank=True, related_name="+")
    published_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    # Set when every recipient has been handed to the mail backend.
    fanout_finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "number"], name="update_number_per_campaign")]

    def __str__(self) -> str:
        return f"Update #{self.number}: {self.title}"


class UpdateDelivery(models.Model):
    """One e-mail of an update to one recipient; the unique pair makes a retried fan-out send nobody twice."""

    update = models.ForeignKey(CampaignUpdate, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["update", "recipient"], name="one_delivery_per_recipient")]
        indexes = [
            models.Index(fields=["update", "id"], condition=Q(sent_at__isnull=True), name="delivery_unsent"),
        ]

    def __str__(self) -> str:
        return f"update {self.update_id} to user {self.recipient_id}"


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
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="exports")
    filters = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.CharField(max_length=500, blank=True, help_text="Path under MEDIA_ROOT once done.")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} export {self.pk} ({self.state})"
