from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.text import person


class PaymentCustomer(models.Model):
    """The backer's Customer at the payment provider: one per user, created on first pledge."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_customer", verbose_name=_("user")
    )
    stripe_customer_id = models.CharField(_("Stripe customer ID"), max_length=255, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment customer")
        verbose_name_plural = _("payment customers")

    def __str__(self) -> str:
        return f"{person(self.user)} · {self.stripe_customer_id}"


class Unsubscription(models.Model):
    """A user's e-mail opt-outs: a campaign's updates (campaign set) or all platform notifications (campaign empty)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="unsubscriptions", verbose_name=_("user")
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("campaign"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("unsubscription")
        verbose_name_plural = _("unsubscriptions")
        db_table = "notifications_unsubscription"  # moved from the notifications app with its rows
        constraints = [
            models.UniqueConstraint(
                fields=["user", "campaign"], name="one_unsubscription_per_campaign", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return f"user {self.user_id} unsubscribed from {self.campaign_id or 'platform notifications'}"


class ApiToken(models.Model):
    """An API token, stored as its SHA-256 (a leaked database leaks no usable token) and
    valid until ``expires_at``. The raw token is shown once, when it is issued."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    # The first characters, to tell tokens apart in the admin without revealing them.
    prefix = models.CharField(_("prefix"), max_length=8)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"{self.prefix}… · {person(self.user)}"


class Profile(models.Model):
    """What a user chose for themselves: the language of their pages and of the e-mails sent to them.

    A user without a row (accounts made before languages existed) reads the site's language.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile", verbose_name=_("user")
    )
    # One of settings.LANGUAGES; not a choices list, which would follow the catalogues shipped.
    language = models.CharField(_("language"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return f"{person(self.user)} · {self.language or '-'}"
