from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField

from core.money import MONEY_FIELD as MONEY
from core.money import format_money
from core.text import person, shorten


class Pledge(models.Model):
    class State(models.TextChoices):
        # Card not yet confirmed (Stripe.js, 3-D Secure); holds its tier until expires_at.
        PENDING = "pending", pgettext_lazy("pledge state", "Pending")
        ACTIVE = "active", pgettext_lazy("pledge state", "Active")  # card saved; counts in the campaign's totals
        COLLECTED = "collected", pgettext_lazy("pledge state", "Collected")
        ERRORED = "errored", pgettext_lazy("pledge state", "Errored")
        DROPPED = "dropped", pgettext_lazy("pledge state", "Dropped")
        CANCELED = "canceled", pgettext_lazy("pledge state", "Canceled")
        RELEASED = "released", pgettext_lazy("pledge state", "Released")
        REFUNDED = "refunded", pgettext_lazy("pledge state", "Refunded")

    class EndReason(models.TextChoices):
        BACKER = "backer", _("Canceled by the backer")
        EXPIRED = "expired", _("Card not confirmed in time")
        DECLINED = "declined", _("Card declined at setup")

    # States in which the pledge belongs to the backer's one live pledge per campaign.
    LIVE_STATES = (State.PENDING, State.ACTIVE, State.ERRORED, State.COLLECTED)
    # The campaign's backers: pledges that still stand (they hear the campaign's updates and news).
    BACKER_STATES = (State.ACTIVE, State.ERRORED, State.COLLECTED)
    # States a backer may still change or cancel before the deadline.
    CHANGEABLE_STATES = (State.PENDING, State.ACTIVE)

    backer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="pledges",
        verbose_name=pgettext_lazy("pledge field", "backer"),
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.PROTECT, related_name="pledges", verbose_name=_("campaign")
    )
    reward = models.ForeignKey(
        "rewards.RewardTier",
        on_delete=models.PROTECT,
        related_name="pledges",
        null=True,
        blank=True,
        verbose_name=_("reward"),
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    # Where a physical reward goes and what that cost, fixed when the destination was chosen
    # (the tier's shipping rule then); both part of the amount. Empty and zero otherwise.
    shipping_country = CountryField(_("shipping country"), blank=True)
    shipping_amount = models.DecimalField(_("shipping amount"), **MONEY, default=Decimal("0"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.PENDING)
    end_reason = models.CharField(_("end reason"), max_length=12, choices=EndReason.choices, blank=True)
    stripe_customer_id = models.CharField(_("Stripe customer ID"), max_length=255, blank=True)
    setup_intent_id = models.CharField(_("SetupIntent ID"), max_length=255, blank=True)
    setup_client_secret = models.CharField(_("setup client secret"), max_length=255, blank=True)
    payment_method_id = models.CharField(_("payment method ID"), max_length=255, blank=True)
    # The SetupIntent the change-card page of an errored pledge offers the browser: reused on
    # every visit while it can still take a card, replaced only once it cannot.
    card_setup_intent_id = models.CharField(_("change-card SetupIntent ID"), max_length=255, blank=True)
    # Who started a card-less hold on a limited tier: a keyed digest of the client's address
    # (never the address itself), so holds per client can be counted (TIER_HOLDS_PER_CLIENT).
    hold_client = models.CharField(_("hold client"), max_length=64, blank=True)
    # Made after a successful close, at the late price, and charged at once (closing.services.late).
    is_late = models.BooleanField(_("late pledge"), default=False)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    collected_at = models.DateTimeField(_("collected at"), null=True, blank=True)
    # Collection trouble: when the first charge failed, and when to try again.
    errored_at = models.DateTimeField(_("errored at"), null=True, blank=True)
    next_retry_at = models.DateTimeField(_("next retry at"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    # When the last collect_pledge message for this pledge was sent (null: never). The
    # collection sweeper sends another only once this is older than COLLECTION_LOST_AFTER,
    # so a message still waiting in the queue is never duplicated.
    collection_enqueued_at = models.DateTimeField(_("collection enqueued at"), null=True, blank=True)

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["-created_at", "-id"]
        # Staff refund through the API and the admin only with this (view_pledge alone reads them).
        permissions = [("refund_pledge", "Can refund pledges")]
        indexes = [
            models.Index(fields=["campaign", "state"]),
            models.Index(fields=["state", "expires_at"]),
            models.Index(fields=["state", "next_retry_at"]),
            models.Index(fields=["state", "collection_enqueued_at"]),
            # forget_card looks for other pledges using a card.
            models.Index(fields=["payment_method_id"], name="pledge_payment_method_idx"),
            # Lapsed holds whose SetupIntent is not canceled at the provider yet (the secret is
            # cleared once it is): what pledges_forget_lapsed_cards works through.
            models.Index(
                fields=["ended_at"],
                name="pledge_lapsed_card_open_idx",
                condition=Q(state="canceled", end_reason="expired") & ~Q(setup_client_secret=""),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="pledge_amount_positive"),
            models.CheckConstraint(condition=Q(shipping_amount__gte=0), name="pledge_shipping_not_negative"),
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


class PledgeAddOn(models.Model):
    """Add-ons on a pledge: so many of an item at the price it had when added (part of the amount)."""

    pledge = models.ForeignKey(Pledge, on_delete=models.CASCADE, related_name="add_on_lines", verbose_name=_("pledge"))
    add_on = models.ForeignKey(
        "rewards.AddOn", on_delete=models.PROTECT, related_name="pledge_lines", verbose_name=_("add-on")
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), **MONEY)

    class Meta:
        verbose_name = _("pledge add-on")
        verbose_name_plural = _("pledge add-ons")
        ordering = ["pledge", "add_on_id"]
        constraints = [
            models.UniqueConstraint(fields=["pledge", "add_on"], name="one_line_per_add_on"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="pledge_add_on_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="pledge_add_on_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.add_on.title}"

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.quantity


class Charge(models.Model):
    """One attempt to collect a pledge, written with its idempotency key before the provider is called."""

    class State(models.TextChoices):
        PROCESSING = "processing", _("Processing")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        REQUIRES_ACTION = "requires_action", _("Requires Action")

    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="charges", verbose_name=_("pledge"))
    attempt = models.PositiveIntegerField(_("attempt"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, unique=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PROCESSING)
    payment_intent_id = models.CharField(_("PaymentIntent ID"), max_length=255, blank=True)
    # The last four digits of the card charged, when the provider's answer named them (receipts).
    card_last4 = models.CharField(_("card's last four digits"), max_length=4, blank=True)
    # Set (and committed) just before the provider is called: an attempt without it
    # never reached the provider, one with it must be looked up before any new call.
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    failure_code = models.CharField(_("failure code"), max_length=100, blank=True)
    failure_message = models.TextField(_("failure message"), blank=True)
    # What the provider has refunded of this charge so far (partial refunds add up).
    refunded_amount = models.DecimalField(_("refunded amount"), **MONEY, default=Decimal("0"))
    refund_id = models.CharField(_("refund ID"), max_length=255, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    disputed_at = models.DateTimeField(_("disputed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("charge")
        verbose_name_plural = _("charges")
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
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored")
        FAILED = "failed", _("Failed")

    event_id = models.CharField(_("event ID"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=100)
    # Numbers arrive as exact Decimals (core.parsers); stored as strings, never as floats.
    payload = models.JSONField(_("payload"), encoder=DjangoJSONEncoder)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(_("error"), blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.type} ({self.event_id})"


class IdempotencyKey(models.Model):
    """A client's key for one POST: a retry with the same key and body gets the first answer."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    key = models.CharField(_("key"), max_length=255)
    # SHA-256 of the request (path and canonical JSON body): the same key with another body is refused.
    request_hash = models.CharField(_("request hash"), max_length=64)
    # Empty while the first request is still being answered.
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_answer_per_idempotency_key")]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.key} of user {self.user_id}"
