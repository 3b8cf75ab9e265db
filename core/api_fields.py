"""Serializer fields shared by the apps' APIs."""

import re
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.money import quantize


@extend_schema_field({"type": "string", "format": "decimal", "example": "25.00"})
class MoneyField(serializers.Field[Any, Any, str | None, Any]):
    """Read-only amount as a string with exactly its currency's decimals ("25.00", "3000")."""

    def __init__(self, *, currency_from: str = "currency", **kwargs: Any) -> None:
        self.currency_from = currency_from
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance: Any) -> tuple[Any, Any]:
        value = super().get_attribute(instance)
        currency = instance
        for part in self.currency_from.split("."):
            currency = getattr(currency, part)
        return value, currency

    def to_representation(self, value: tuple[Any, Any]) -> str | None:
        amount, currency = value
        return None if amount is None else str(quantize(Decimal(amount), currency))


PLAIN_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)


class AmountField(serializers.DecimalField):
    """An amount as people type it: ASCII digits and one dot ("25", "25.00"), or a JSON number.

    Python's Decimal also takes "1_000", Arabic-Indic digits, "  25 " and "1e3";
    an amount is none of those. Currency precision is checked by the services."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, str) and not PLAIN_DECIMAL.fullmatch(data):
            self.fail("invalid")
        if isinstance(data, float):  # only from parsers other than ours (which gives Decimal)
            self.fail("invalid")
        return super().to_internal_value(data)


def amount_input(**kwargs: Any) -> serializers.DecimalField:
    return AmountField(max_digits=18, decimal_places=3, coerce_to_string=True, **kwargs)


__all__ = ["AmountField", "MoneyField", "amount_input"]
