"""Payout accounts, the ledger of what each campaign owes its creator, and the transfers.

Ledger amounts are signed from the creator's side: money the campaign earns for its creator is
positive (a collected charge, a returned platform fee, a transfer reversed back), money taken
off it is negative (fees, refunds, the reserve, a transfer sent). What is owed is the sum.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.money import MONEY_FIELD as MONEY
from core.money import format_money


class PayoutAccount(models.Model):
    """A creator's Stripe Connect Express account, as the provider last described it."""

    creator = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payout_account", verbose_name=_("creator")
    )
    stripe_account_id = models.CharField(_("Stripe account ID"), max_length=255, unique=True)
    details_submitted = models.BooleanField(_("details submitted"), default=False)
    payouts_enabled = models.BooleanField(_("payouts enabled"), default=False)
    # The provider's requirements.currently_due: what the creator still has to provide.
    requirements_due = models.JSONField(_("requirements due"), default=list, blank=True)
    verified_name = models.CharField(_("verified name"), max_length=255, blank=True)
    synced_at = models.DateTimeField(_("synced at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("payout account")
        verbose_name_plural = _("payout accounts")

    def __str__(self) -> str:
        return f"{self.stripe_account_id} ({self.creator})"


class LedgerEntry(models.Model):
    class Kind(models.TextChoices):
        CHARGE_COLLECTED = "charge_collected", _("Charge collected")
        PROCESSING_FEE = "processing_fee", _("Processing fee")
        PLATFORM_FEE = "platform_fee", _("Platform fee")
        REFUND = "refund", _("Refund")
        PLATFORM_FEE_REFUND = "platform_fee_refund", _("Platform fee returned")
        TRANSFER = "transfer", _("Transfer")
        TRANSFER_REVERSAL = "transfer_reversal", _("Transfer reversal")
        RESERVE_HELD = "reserve_held", _("Reserve held")
        RESERVE_RELEASED = "reserve_released", _("Reserve released")

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.PROTECT, related_name="ledger_entries", verbose_name=_("campaign")
    )
    currency = models.CharField(_("currency"), max_length=3)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    # Signed: positive adds to what the creator is owed, negative takes from it.
    amount = models.DecimalField(_("amount"), **MONEY)
    charge = models.ForeignKey(
        "pledges.Charge",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
        verbose_name=_("charge"),
    )
    payout = models.ForeignKey(
        "payouts.Payout",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
        verbose_name=_("payout"),
    )
    # One entry per source object and kind: charge:<id>:collected, payout:<id>, …
    idempotency_key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["campaign", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {format_money(self.amount, self.currency)}"


class ChargeFee(models.Model):
    """The provider's processing fee of one collected charge, read from its balance transaction."""

    charge = models.OneToOneField(
        "pledges.Charge", on_delete=models.PROTECT, related_name="fee", verbose_name=_("charge")
    )
    # In the balance transaction's currency (the platform's settlement currency; the charge's here).
    processing_fee_minor = models.PositiveBigIntegerField(_("processing fee (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    balance_transaction_id = models.CharField(_("balance transaction ID"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("charge fee")
        verbose_name_plural = _("charge fees")

    def __str__(self) -> str:
        return f"{self.processing_fee_minor} {self.currency}"


class Payout(models.Model):
    """One transfer to the creator's connected account, or one reversal of a transfer.

    Written with its idempotency key before the provider is called; ``submitted_at`` says it may
    have reached the provider, so it is looked up there before anything is sent again."""

    class Kind(models.TextChoices):
        TRANSFER = "transfer", _("Transfer")
        REVERSAL = "reversal", _("Transfer reversal")

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("payout state", "Pending")
        HELD = "held", pgettext_lazy("payout state", "Held")
        SENT = "sent", pgettext_lazy("payout state", "Sent")
        FAILED = "failed", pgettext_lazy("payout state", "Failed")

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.PROTECT, related_name="payouts", verbose_name=_("campaign")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.TRANSFER)
    # Always positive: what moves to the creator (a transfer) or back from them (a reversal).
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    hold_code = models.CharField(_("hold code"), max_length=60, blank=True)
    hold_reason = models.TextField(_("hold reason"), blank=True)
    destination = models.CharField(_("destination account"), max_length=255, blank=True)
    reverses = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversals", verbose_name=_("reverses")
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, unique=True)
    provider_id = models.CharField(_("provider ID"), max_length=255, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["-created_at", "-id"]
        permissions = [("hold_payout", "Can hold and release payouts")]
        indexes = [models.Index(fields=["state", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
            # One payout of a campaign in flight or held at a time: it is finished before the next.
            models.UniqueConstraint(
                fields=["campaign"], condition=Q(state__in=["pending", "held"]), name="one_open_payout_per_campaign"
            ),
            models.UniqueConstraint(
                fields=["kind", "provider_id"], condition=~Q(provider_id=""), name="payout_provider_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {format_money(self.amount, self.currency)} · {self.get_state_display()}"


class PayoutHold(models.Model):
    """Staff hold a campaign's payouts (fraud review, a dispute, …) until they release them."""

    campaign = models.OneToOneField(
        "campaigns.Campaign", on_delete=models.PROTECT, related_name="payout_hold", verbose_name=_("campaign")
    )
    reason = models.TextField(_("reason"))
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("held by")
    )
    held_at = models.DateTimeField(_("held at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payout hold")
        verbose_name_plural = _("payout holds")

    def __str__(self) -> str:
        return str(self.reason)


ZERO = Decimal("0")
