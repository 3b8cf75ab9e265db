"""Serializer fields shared by the apps' APIs."""

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.money import is_plain_amount, quantize
from core.text import storable


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


class AmountField(serializers.DecimalField):
    """An amount as people type it: ASCII digits and one dot ("25", "25.00"), or a JSON number.

    The grammar is core.money.PLAIN_AMOUNT's, the web forms' too. Currency precision is
    checked by the services."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, str) and not is_plain_amount(data):
            self.fail("invalid")
        if isinstance(data, float):  # only from parsers other than ours (which gives Decimal)
            self.fail("invalid")
        return super().to_internal_value(data)


def amount_input(**kwargs: Any) -> serializers.DecimalField:
    return AmountField(max_digits=18, decimal_places=3, coerce_to_string=True, **kwargs)


class SlugLookupField(serializers.SlugRelatedField[Any]):
    """A related object named by its slug. A slug PostgreSQL cannot take (NUL) names none: the
    lookup itself would fail (a 500) instead of finding nothing."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and not storable(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.encode("unicode_escape").decode())
        return super().to_internal_value(data)


__all__ = ["AmountField", "MoneyField", "SlugLookupField", "amount_input"]
