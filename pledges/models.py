from django.conf import settings
from django.db import models
from django.db.models import Q

from campaigns.models import MONEY


class Pledge(models.Model):
    class State(models.TextChoices):
        PENDING = "pending"  # card not yet confirmed (Stripe.js, 3-D Secure); holds its tier until expires_at
        ACTIVE = "active"  # card saved; counts in the campaign's totals
        COLLECTED = "collected"
        ERRORED = "errored"
        DROPPED = "dropped"
        CANCELED = "canceled"
        RELEASED = "released"
        REFUNDED = "refunded"

    class EndReason(models.TextChoices):
        BACKER = "backer", "Canceled by the backer"
        EXPIRED = "expired", "Card not confirmed in time"
        DECLINED = "declined", "Card declined at setup"

    # States in which the pledge belongs to the backer's one live pledge per campaign.
    LIVE_STATES = (State.PENDING, State.ACTIVE, State.ERRORED, State.COLLECTED)
    # States a backer may still change or cancel before the deadline.
    CHANGEABLE_STATES = (State.PENDING, State.ACTIVE)

    backer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pledges")
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="pledges")
    reward = models.ForeignKey(
        "rewards.RewardTier", on_delete=models.PROTECT, related_name="pledges", null=True, blank=True
    )
    amount = models.DecimalField(**MONEY)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    end_reason = models.CharField(max_length=12, choices=EndReason.choices, blank=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    setup_intent_id = models.CharField(max_length=255, blank=True)
    setup_client_secret = models.CharField(max_length=255, blank=True)
    payment_method_id = models.CharField(max_length=255, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    collected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["campaign", "state"]),
            models.Index(fields=["state", "expires_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="pledge_amount_positive"),
            models.UniqueConstraint(
                fields=["backer", "campaign"],
                condition=Q(state__in=["pending", "active", "errored", "collected"]),
                name="one_live_pledge_per_backer",
            ),
        ]

    def __str__(self) -> str:
        return f"Pledge {self.pk} by {self.backer_id} to {self.campaign_id}"
