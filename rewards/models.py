from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import CountryField

from core.money import MONEY_FIELD as MONEY
from core.money import format_money
from rewards.regions import Region


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
    # Digital (False): no destination, no shipping. Physical (True): shipped only where a
    # ShippingRule says, at that rule's price.
    ships = models.BooleanField(_("ships"), default=False, help_text=_("A physical reward, shipped to the backer."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reward tier")
        verbose_name_plural = _("reward tiers")
        ordering = ["minimum", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(minimum__gt=0), name="reward_minimum_positive"),
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


class ShippingRule(models.Model):
    """Where a physical tier ships and at what price: one country or one region (rewards.regions)."""

    tier = models.ForeignKey(
        RewardTier, on_delete=models.CASCADE, related_name="shipping_rules", verbose_name=_("reward tier")
    )
    country = CountryField(_("country"), blank=True)
    region = models.CharField(_("region"), max_length=20, choices=Region.choices, blank=True)
    price = models.DecimalField(_("price"), **MONEY, default=Decimal("0"))

    class Meta:
        verbose_name = _("shipping rule")
        verbose_name_plural = _("shipping rules")
        ordering = ["tier", "region", "country", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(country="") & ~Q(region="")) | (~Q(country="") & Q(region="")),
                name="shipping_rule_country_or_region",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="shipping_rule_price_not_negative"),
            models.UniqueConstraint(
                fields=["tier", "country"], condition=~Q(country=""), name="one_shipping_rule_per_country"
            ),
            models.UniqueConstraint(
                fields=["tier", "region"], condition=~Q(region=""), name="one_shipping_rule_per_region"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.destination} · {format_money(self.price, self.tier.campaign.currency)}"

    @property
    def destination(self) -> str:
        """The country's or the region's name in the reader's language."""
        return str(countries.name(self.country)) if self.country else str(self.get_region_display())


class AddOn(models.Model):
    """An item a backer adds to their pledge (a poster, a second record): part of the one charge."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="add_ons", verbose_name=_("campaign")
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    price = models.DecimalField(_("price"), **MONEY)
    limit = models.PositiveIntegerField(_("limit"), null=True, blank=True, help_text=_("Empty for unlimited."))
    # Units held by pending and active pledges; claimed atomically by rewards.services.
    claimed = models.PositiveIntegerField(_("claimed"), default=0)
    max_per_backer = models.PositiveIntegerField(
        _("most per backer"), default=1, help_text=_("How many one backer may add.")
    )
    tiers = models.ManyToManyField(
        RewardTier,
        related_name="add_ons",
        blank=True,
        verbose_name=_("reward tiers"),
        help_text=_("The tiers it goes with; none chosen: every tier."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("add-on")
        verbose_name_plural = _("add-ons")
        ordering = ["price", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="add_on_price_positive"),
            models.CheckConstraint(condition=Q(max_per_backer__gte=1), name="add_on_max_per_backer_positive"),
            models.CheckConstraint(
                condition=Q(limit__isnull=True) | Q(claimed__lte=F("limit")), name="add_on_never_oversold"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} · {format_money(self.price, self.campaign.currency)}"

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.claimed, 0)
