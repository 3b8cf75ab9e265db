"""``{% load money %}`` then ``{{ amount|money:campaign.currency }}``: an amount as the reader's
language writes it (registered in TEMPLATES["OPTIONS"]["libraries"]; core is not an app)."""

from decimal import Decimal

from django import template

from core.money import format_money

register = template.Library()


@register.filter(name="money")
def money_filter(amount: Decimal | int | str | None, currency: str) -> str:
    if amount is None or amount == "":
        return ""
    if isinstance(amount, int | str):
        amount = Decimal(amount)  # exact; a float would fail in format_money, not be rounded
    return format_money(amount, currency)
