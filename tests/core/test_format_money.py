"""Amounts as people read them: the currency's decimals, the reader's locale, never a float."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from core.money import format_money

NBSP = "\xa0"  # CLDR puts a no-break space between a German amount and its symbol


@pytest.mark.parametrize(
    ("amount", "currency", "english", "german"),
    [
        ("1192793", "USD", "$1,192,793.00", f"1.192.793,00{NBSP}$"),
        ("12.5", "EUR", "€12.50", f"12,50{NBSP}€"),
        ("3000", "JPY", "¥3,000", f"3.000{NBSP}¥"),
        # Three decimals (fils), though Stripe takes only amounts whose last one is 0.
        ("12.5", "KWD", "KWD12.500", f"12,500{NBSP}KWD"),
        # Whole krónur only, as Stripe charges them.
        ("5000", "ISK", "ISK5,000", f"5.000{NBSP}ISK"),
    ],
)
def test_amounts_follow_the_currency_and_the_locale(amount, currency, english, german):
    assert format_money(Decimal(amount), currency, "en") == english
    assert format_money(Decimal(amount), currency, "de") == german


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        # DecimalField columns carry three places; the zeros beyond the currency's go.
        ("3000.000", "JPY", "¥3,000"),
        ("25.000", "USD", "$25.00"),
        # Finer than the currency's decimals (as Stripe may report a KWD amount): shown, never rounded.
        ("1.234", "KWD", "KWD1.234"),
        ("0.005", "USD", "$0.005"),
        # Beyond what a float holds exactly (2**53 is about 9.0e15).
        ("999999999999999.99", "USD", "$999,999,999,999,999.99"),
        ("-40.00", "USD", "-$40.00"),
        ("7", "usd", "$7.00"),
    ],
)
def test_amounts_are_exact(amount, currency, text):
    assert format_money(Decimal(amount), currency, "en") == text


def test_the_locale_defaults_to_the_active_language():
    with translation.override("de"):
        assert format_money(Decimal("3000"), "JPY") == f"3.000{NBSP}¥"
    with translation.override("en"):
        assert format_money(Decimal("3000"), "JPY") == "¥3,000"


@pytest.mark.parametrize("amount", [12.5, 3000])
def test_only_decimals_are_formatted(amount):
    with pytest.raises(TypeError):
        format_money(amount, "USD", "en")


def test_the_template_filter_formats_in_the_active_language():
    template = Template("{% load money %}{{ amount|money:currency }}|{{ missing|money:currency }}")
    context = Context({"amount": Decimal("1192793"), "currency": "USD"})

    with translation.override("de"):
        assert template.render(context) == f"1.192.793,00{NBSP}$|"
    with translation.override("en"):
        assert template.render(context) == "$1,192,793.00|"
