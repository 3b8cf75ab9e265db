from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.money import MONEY_FIELD as MONEY
from core.money import format_money


class RewardTier(models.Model):
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="rewards", verbose_name=_("campaign")
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    minimum = models.DecimalField(_("minimum"), **MONEY)
    limit = models.PositiveIntegerField(_("limit"), null=True, blank=True, help_text=_("Empty for unlimited."))
    # Pending and active pledges holding this tier; claimed atomically by rewards.services.
    claimed = models.PositiveIntegerField(_("claimed"), default=0)
    estimated_delivery = models.DateField(_("estimated delivery"), null=True, blank=True)
    shipping = models.DecimalField(_("shipping"), **MONEY, default=Decimal("0"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reward tier")
        verbose_name_plural = _("reward tiers")
        ordering = ["minimum", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(minimum__gt=0), name="reward_minimum_positive"),
            models.CheckConstraint(condition=Q(shipping__gte=0), name="reward_shipping_not_negative"),
            models.CheckConstraint(
                condition=Q(limit__isnull=True) | Q(claimed__lte=F("limit")), name="reward_never_oversold"
            ),
        ]

    def __str__(self) -> str:
        """ "Vinyl · $30.00" in the campaign's currency (loads the campaign unless it is known)."""
        return f"{self.title} · {format_money(self.minimum, self.campaign.currency)}"

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.claimed, 0)
