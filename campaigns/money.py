"""Amounts as users type them: exact Decimals in the campaign's currency.

A value with more decimals than the currency has (25.001 USD, 10.5 JPY) is refused,
never rounded; JSON carries amounts as strings with exactly the currency's decimals.
"""

from decimal import Decimal, InvalidOperation

from config.errors import InvalidInput
from pledges.payments.money import currency_decimal_places, currency_exponent

# One pledge is one card payment, and Stripe charges at most 99,999,999 minor units at once.
MAX_CHARGE_MINOR_UNITS = 99_999_999
# A goal far above any real campaign (the record raised $41.7M) but well inside the columns.
MAX_GOAL = Decimal("1000000000")

SUPPORTED_CURRENCIES = (
    "USD",
    "EUR",
    "GBP",
    "CAD",
    "AUD",
    "NZD",
    "CHF",
    "SEK",
    "NOK",
    "DKK",
    "PLN",
    "CZK",
    "JPY",
    "SGD",
    "HKD",
    "MXN",
    "KRW",
    "BHD",
    "KWD",
)


def quantize(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-currency_decimal_places(currency)))


def validate_currency(currency: str) -> str:
    code = (currency or "").upper()
    if code not in SUPPORTED_CURRENCIES:
        raise InvalidInput(f"Unsupported currency {currency!r}.", code="invalid_currency")
    return code


def max_charge(currency: str) -> Decimal:
    return Decimal(MAX_CHARGE_MINOR_UNITS).scaleb(-currency_exponent(currency))


def validate_amount(
    amount: Decimal, currency: str, *, field: str = "amount", maximum: Decimal | None = None
) -> Decimal:
    """The amount if it is positive, finite, at most ``maximum`` (default: one card payment)
    and exact in the currency's minor unit."""
    try:
        finite = amount.is_finite()
    except (AttributeError, InvalidOperation):
        finite = False
    if not finite:
        raise InvalidInput(f"{field} must be a number.", code=f"invalid_{field}")
    if amount <= 0:
        raise InvalidInput(f"{field} must be greater than zero.", code=f"invalid_{field}")
    maximum = max_charge(currency) if maximum is None else maximum
    if amount > maximum:
        raise InvalidInput(
            f"{field} is too large: at most {quantize(maximum, currency)} {currency}.", code=f"invalid_{field}"
        )
    places = currency_decimal_places(currency)
    if amount != quantize(amount, currency):
        raise InvalidInput(
            f"{field} has more decimal places than {currency} allows ({places}).", code=f"invalid_{field}"
        )
    return quantize(amount, currency)
