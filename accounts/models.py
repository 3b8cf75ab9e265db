from django.conf import settings
from django.db import models


class PaymentCustomer(models.Model):
    """The backer's Customer at the payment provider: one per user, created on first pledge."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_customer")
    stripe_customer_id = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.stripe_customer_id
