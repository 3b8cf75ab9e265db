from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models.functions import Upper
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
    # An HMAC of the holder's password hash when the token was issued (accounts.tokens): a new
    # password, however it was set (reset, settings, admin, manage.py), makes the token invalid.
    password_fingerprint = models.CharField(_("password fingerprint"), max_length=64, default="")
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
    """What a user chose for themselves (the language of their pages and e-mails, the name others
    see) and what keeps their username theirs. Every user gets one when they are saved first
    (accounts.receivers); a user without a row (made in bulk) reads the site's language.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile", verbose_name=_("user")
    )
    # One of settings.LANGUAGES; not a choices list, which would follow the catalogues shipped.
    language = models.CharField(_("language"), max_length=10, blank=True)
    # The name shown where the person is named (a campaign's creator); the username when empty.
    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    # An IANA zone ("Europe/Berlin") the studio reads and shows times in; empty: settings.TIME_ZONE.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    # The public profile (/u/<username>/): re-encoded by core.images under an unguessable name.
    avatar = models.ImageField(_("avatar"), upload_to="avatars/", blank=True, max_length=200)
    BIO_MAX_LENGTH = 300
    bio = models.TextField(_("short bio"), blank=True, max_length=BIO_MAX_LENGTH)
    website = models.URLField(_("website"), blank=True, max_length=200)
    LOCATION_MAX_LENGTH = 80
    location = models.CharField(_("location"), max_length=LOCATION_MAX_LENGTH, blank=True)
    # accounts.usernames.username_key of the username: no two accounts share it. Empty (NULL) once
    # the account is deleted, so the name is free again.
    username_key = models.CharField(_("username key"), max_length=150, unique=True, null=True, blank=True)
    # Set when the account was deleted: its personal data is gone, its money records remain.
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        indexes = [GinIndex(fields=["display_name"], opclasses=["gin_trgm_ops"], name="profile_display_name_trgm")]

    def __str__(self) -> str:
        return f"{person(self.user)} · {self.language or '-'}"


class PendingSignup(models.Model):
    """A sign-up waiting for its e-mail address to be confirmed.

    No account exists until the link mailed to the address is opened (``signup_confirm``), so
    an unconfirmed sign-up holds neither the username nor the address: anyone may sign up with
    them meanwhile, and the first to confirm gets them. Rows are forgotten
    EMAIL_VERIFICATION_MAX_AGE after their last link was sent.
    """

    username = models.CharField(_("username"), max_length=150)
    username_key = models.CharField(_("username key"), max_length=150)
    email = models.EmailField(_("e-mail address"), max_length=254)
    password = models.CharField(_("password"), max_length=128)  # a hash, as on the user
    language = models.CharField(_("language"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("link sent at"))

    class Meta:
        verbose_name = _("pending sign-up")
        verbose_name_plural = _("pending sign-ups")
        indexes = [
            models.Index(Upper("email"), name="pendingsignup_email_upper"),
            models.Index(fields=["username_key"]),
            models.Index(fields=["sent_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.username} · {self.email}"

    def check_password(self, raw_password: str) -> bool:
        return check_password(raw_password, self.password)
