from django.contrib import admin

from accounts.models import PaymentCustomer


@admin.register(PaymentCustomer)
class PaymentCustomerAdmin(admin.ModelAdmin):
    """The backer's Customer at Stripe: created once by the pledge service, never edited here."""

    list_display = ("user", "stripe_customer_id", "created_at")
    search_fields = ("user__username", "user__email", "stripe_customer_id")
    list_select_related = ("user",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
