from django.contrib import admin

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


@admin.register(PendingSignup)
class PendingSignupAdmin(ViewOnlyAdmin):
    """Sign-ups whose address is not confirmed yet: they hold nothing, and go by themselves once
    their link expires. Support can look one up when someone says the e-mail never came."""

    list_display = ("username", "email", "created_at", "sent_at")
    search_fields = ("username", "email")
    exclude = ("password",)
