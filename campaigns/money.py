"""Amounts as users type them: exact Decimals in the campaign's currency.

A value with more decimals than the currency has (25.001 USD, 10.5 JPY) is refused,
never rounded; JSON carries amounts as strings with exactly the currency's decimals.
"""

from decimal import Decimal, InvalidOperation

from config.errors import InvalidInput
from pledges.payments.money import currency_decimal_places

# Above any real campaign (the record is $41.7M); keeps minor units inside int64 easily.
MAX_AMOUNT = Decimal("99999999999")

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


def validate_amount(amount: Decimal, currency: str, *, field: str = "amount") -> Decimal:
    """The amount if it is positive, finite, not absurd and fits the currency's minor unit."""
    try:
        finite = amount.is_finite()
    except (AttributeError, InvalidOperation):
        finite = False
    if not finite:
        raise InvalidInput(f"{field} must be a number.", code=f"invalid_{field}")
    if amount <= 0:
        raise InvalidInput(f"{field} must be greater than zero.", code=f"invalid_{field}")
    if amount > MAX_AMOUNT:
        raise InvalidInput(f"{field} is too large.", code=f"invalid_{field}")
    places = currency_decimal_places(currency)
    if amount != quantize(amount, currency):
        raise InvalidInput(
            f"{field} has more decimal places than {currency} allows ({places}).", code=f"invalid_{field}"
        )
    return quantize(amount, currency)
