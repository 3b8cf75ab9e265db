from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ApiToken, PaymentCustomer, PendingSignup
from core.admin_tools import ViewOnlyAdmin


@admin.register(PaymentCustomer)
class PaymentCustomerAdmin(ViewOnlyAdmin):
    """The backer's Customer at Stripe: created once by the pledge service, never edited here."""

    list_display = ("user", "stripe_customer_id", "created_at")
    search_fields = ("user__username", "user__email", "stripe_customer_id")
    list_select_related = ("user",)
    raw_id_fields = ("user",)


@admin.register(ApiToken)
class ApiTokenAdmin(ViewOnlyAdmin):
    """Tokens are shown by their first characters only (never their hash); deleting one logs its holder out
    of the API."""

    list_display = ("prefix", "user", "created_at", "expires_at", "last_used_at")
    search_fields = ("user__username", "user__email", "prefix")
    list_select_related = ("user",)
    raw_id_fields = ("user",)

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("accounts.delete_apitoken")


# django-otp's own admins show a device's secret key and recovery codes and let staff make devices
# with a key of their choosing; ours show only whether a user has two-factor sign-in.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class _DeviceAdmin(ViewOnlyAdmin):
    """Deleting a user's devices (someone who lost both their phone and their recovery codes, once
    support knows it is them) lets them sign in with the password alone and set it up again."""

    list_display = ("user", "confirmed", "created_at", "last_used_at")
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.delete_{self.opts.model_name}")


@admin.register(TOTPDevice)
class AuthenticatorAppAdmin(_DeviceAdmin):
    pass


@admin.register(StaticDevice)
class RecoveryCodesAdmin(_DeviceAdmin):
    pass


@admin.register(PendingSignup)
class PendingSignupAdmin(ViewOnlyAdmin):
    """Sign-ups whose address is not confirmed yet: they hold nothing, and go by themselves once
    their link expires. Support can look one up when someone says the e-mail never came."""

    list_display = ("username", "email", "created_at", "sent_at")
    search_fields = ("username", "email")
    exclude = ("password",)
