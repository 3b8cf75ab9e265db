from decimal import Decimal

import pytest

from core.money import (
    currency_exponent,
    from_minor_units,
    to_minor_units,
)


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [
        ("usd", 2),
        ("EUR", 2),
        ("gbp", 2),
        ("jpy", 0),
        ("KRW", 0),
        ("vnd", 0),
        ("clp", 0),
        ("ugx", 0),
        ("xaf", 0),
        ("xof", 0),
        ("bhd", 3),
        ("jod", 3),
        ("kwd", 3),
        ("omr", 3),
        ("tnd", 3),
        ("isk", 2),  # Stripe keeps ISK two-decimal in its API, whole krónur only
    ],
)
def test_currency_exponent_follows_stripe(currency, exponent):
    assert currency_exponent(currency) == exponent


@pytest.mark.parametrize("currency", ["us", "usdd", "", "u$d", "ÉUR", None])
def test_currency_code_must_be_three_letters(currency):
    with pytest.raises(ValueError):
        currency_exponent(currency)


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("25.00", "usd", 2500),
        ("25", "USD", 2500),
        ("0.01", "eur", 1),
        ("1192793.00", "usd", 119279300),
        ("500", "jpy", 500),
        ("500.00", "jpy", 500),  # trailing zeros are not extra precision
        ("5.12", "kwd", 5120),
        ("5.120", "kwd", 5120),
        ("5", "isk", 500),
        ("-3.50", "usd", -350),
        ("0", "usd", 0),
    ],
)
def test_to_minor_units(amount, currency, minor):
    assert to_minor_units(Decimal(amount), currency) == minor


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("25.001", "usd"),
        ("0.005", "eur"),
        ("500.5", "jpy"),
        ("1.1", "krw"),
        ("5.125", "kwd"),  # Stripe wants the last of the three digits to be 0
        ("5.10", "isk"),
    ],
)
def test_to_minor_units_refuses_to_round(amount, currency):
    with pytest.raises(ValueError, match="decimal places"):
        to_minor_units(Decimal(amount), currency)


def test_to_minor_units_is_exact_beyond_the_decimal_context_precision():
    amount = Decimal("123456789012345678901234567890.12")
    assert to_minor_units(amount, "usd") == 12345678901234567890123456789012


@pytest.mark.parametrize("amount", [25.0, 25, "25.00"])
def test_to_minor_units_takes_only_decimals(amount):
    with pytest.raises(TypeError):
        to_minor_units(amount, "usd")


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity"])
def test_to_minor_units_refuses_non_finite(amount):
    with pytest.raises(ValueError):
        to_minor_units(Decimal(amount), "usd")


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (2500, "usd", "25.00"),
        (1, "usd", "0.01"),
        (0, "eur", "0.00"),
        (-350, "usd", "-3.50"),
        (500, "jpy", "500"),
        (5120, "kwd", "5.12"),
        (5125, "kwd", "5.125"),  # finer than we charge, kept exact rather than rounded
        (500, "isk", "5"),
        (510, "isk", "5.10"),
    ],
)
def test_from_minor_units(minor, currency, text):
    assert str(from_minor_units(minor, currency)) == text


@pytest.mark.parametrize("minor", [25.0, True, "2500", Decimal("2500")])
def test_from_minor_units_takes_only_ints(minor):
    with pytest.raises(TypeError):
        from_minor_units(minor, "usd")


@pytest.mark.parametrize(
    ("currency", "amounts"),
    [
        ("usd", ["0", "1", "19.99", "25.50", "99999.90"]),
        ("kwd", ["0.01", "19.99", "1000000"]),
        ("bhd", ["0.10", "7"]),
        ("jpy", ["0", "1", "1000000"]),
        ("clp", ["15000"]),
        ("isk", ["1", "4990"]),
    ],
)
def test_round_trip(currency, amounts):
    for amount in map(Decimal, amounts):
        assert from_minor_units(to_minor_units(amount, currency), currency) == amount
