"""Serializer fields shared by the apps' APIs."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.money import quantize


@extend_schema_field({"type": "string", "format": "decimal", "example": "25.00"})
class MoneyField(serializers.Field):
    """Read-only amount as a string with exactly its currency's decimals ("25.00", "3000")."""

    def __init__(self, *, currency_from: str = "currency", **kwargs):
        self.currency_from = currency_from
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        value = super().get_attribute(instance)
        currency = instance
        for part in self.currency_from.split("."):
            currency = getattr(currency, part)
        return value, currency

    def to_representation(self, value) -> str | None:
        amount, currency = value
        return None if amount is None else str(quantize(Decimal(amount), currency))


def amount_input(**kwargs) -> serializers.DecimalField:
    """Amounts in requests: a decimal string or number; currency precision is checked by the services."""
    return serializers.DecimalField(max_digits=18, decimal_places=3, coerce_to_string=True, **kwargs)


__all__ = ["MoneyField", "amount_input"]
