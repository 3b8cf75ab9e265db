from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from core.money import MONEY_FIELD as MONEY
from core.money import percent_funded, quantize


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
    # Re-encoded by campaigns.images under an unguessable name; never the uploaded bytes.
    image = models.ImageField(upload_to="campaigns/", blank=True, max_length=200)
    image_alt = models.CharField(max_length=200, blank=True)
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
        return percent_funded(self.pledged, self.goal)

    @property
    def is_open_for_pledges(self) -> bool:
        return self.is_open_at(timezone.now())

    def is_open_at(self, moment) -> bool:
        return self.state == self.State.LIVE and self.deadline is not None and self.deadline > moment

    @property
    def reached_its_goal(self) -> bool:
        """All-or-nothing needs the goal; a flexible campaign keeps whatever was pledged."""
        if self.funding_model == self.FundingModel.FLEXIBLE:
            return self.pledged > 0
        return self.pledged >= self.goal

    def money(self, amount: Decimal) -> Decimal:
        return quantize(amount, self.currency)
