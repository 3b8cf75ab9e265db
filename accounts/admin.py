from django.contrib import admin

from accounts.models import PaymentCustomer
from core.admin_tools import ViewOnlyAdmin


@admin.register(PaymentCustomer)
class PaymentCustomerAdmin(ViewOnlyAdmin):
    """The backer's Customer at Stripe: created once by the pledge service, never edited here."""

    list_display = ("user", "stripe_customer_id", "created_at")
    search_fields = ("user__username", "user__email", "stripe_customer_id")
    list_select_related = ("user",)
