from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext as _

from core.money import MONEY_FIELD as MONEY
from core.money import format_money
from core.text import person, shorten


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
    # The campaign's backers: pledges that still stand (they hear the campaign's updates and news).
    BACKER_STATES = (State.ACTIVE, State.ERRORED, State.COLLECTED)
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
    # Collection trouble: when the first charge failed, and when to try again.
    errored_at = models.DateTimeField(null=True, blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    # When the last collect_pledge message for this pledge was sent (null: never). The
    # collection sweeper sends another only once this is older than COLLECTION_LOST_AFTER,
    # so a message still waiting in the queue is never duplicated.
    collection_enqueued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # Staff refund through the API and the admin only with this (view_pledge alone reads them).
        permissions = [("refund_pledge", "Can refund pledges")]
        indexes = [
            models.Index(fields=["campaign", "state"]),
            models.Index(fields=["state", "expires_at"]),
            models.Index(fields=["state", "next_retry_at"]),
            models.Index(fields=["state", "collection_enqueued_at"]),
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
        """ "Ann Lee (ann@example.com) → The new RECORD, ART BOOK, and… · $25.00" (loads backer and campaign)."""
        campaign = self.campaign
        return f"{person(self.backer)} → {shorten(campaign.title)} · {format_money(self.amount, campaign.currency)}"


class Charge(models.Model):
    """One attempt to collect a pledge, written with its idempotency key before the provider is called."""

    class State(models.TextChoices):
        PROCESSING = "processing"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        REQUIRES_ACTION = "requires_action"

    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="charges")
    attempt = models.PositiveIntegerField()
    idempotency_key = models.CharField(max_length=100, unique=True)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PROCESSING)
    payment_intent_id = models.CharField(max_length=255, blank=True)
    # Set (and committed) just before the provider is called: an attempt without it
    # never reached the provider, one with it must be looked up before any new call.
    submitted_at = models.DateTimeField(null=True, blank=True)
    failure_code = models.CharField(max_length=100, blank=True)
    failure_message = models.TextField(blank=True)
    # What the provider has refunded of this charge so far (partial refunds add up).
    refunded_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    refund_id = models.CharField(max_length=255, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    disputed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "created_at"])]
        constraints = [
            models.UniqueConstraint(fields=["pledge", "attempt"], name="one_charge_per_attempt"),
            models.UniqueConstraint(
                fields=["pledge"], condition=Q(state="succeeded"), name="pledge_charged_at_most_once"
            ),
            models.UniqueConstraint(
                fields=["pledge"], condition=Q(state="processing"), name="one_charge_in_flight_per_pledge"
            ),
            models.UniqueConstraint(
                fields=["payment_intent_id"], condition=~Q(payment_intent_id=""), name="charge_payment_intent_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="charge_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("amount")),
                name="charge_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        """The pledge's backer and campaign, this attempt's amount and number (loads pledge, backer, campaign)."""
        pledge = self.pledge
        money = format_money(self.amount, self.currency)
        attempt = _("attempt %(number)s") % {"number": self.attempt}
        return f"{person(pledge.backer)} → {shorten(pledge.campaign.title)} · {money} · {attempt}"


class WebhookEvent(models.Model):
    """A provider event, stored once by its id before it is handled."""

    class Status(models.TextChoices):
        RECEIVED = "received"
        PROCESSED = "processed"
        IGNORED = "ignored"
        FAILED = "failed"

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    # Numbers arrive as exact Decimals (core.parsers); stored as strings, never as floats.
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.type} ({self.event_id})"


class IdempotencyKey(models.Model):
    """A client's key for one POST: a retry with the same key and body gets the first answer."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of the request (path and canonical JSON body): the same key with another body is refused.
    request_hash = models.CharField(max_length=64)
    # Empty while the first request is still being answered.
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_answer_per_idempotency_key")]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.key} of user {self.user_id}"
