"""Money: exact Decimals in a currency, validation of amounts as users type them, and
exact conversion to and from Stripe's integer minor units.

A value with more decimals than the currency has (25.001 USD, 10.5 JPY) is refused,
never rounded; JSON carries amounts as strings with exactly the currency's decimals.

Stripe's rules (https://docs.stripe.com/currencies), which are what matter at
this boundary:

* zero-decimal currencies (JPY, KRW, VND, CLP, UGX, XAF, XOF, ...): the amount is
  in whole units, exponent 0;
* three-decimal currencies (BHD, JOD, KWD, OMR, TND): exponent 3, but the last
  digit must be 0, so an amount may carry at most 2 decimal places;
* ISK: zero-decimal in practice (whole krónur only) but still exponent 2 in the
  API for backwards compatibility: 5 ISK is sent as 500;
* everything else: exponent 2.

Nothing is ever rounded: an amount finer than the currency allows raises
``ValueError``. Integer arithmetic on the Decimal's digits keeps the conversion
exact whatever the decimal context.
"""

from __future__ import annotations

import copy
import re
from decimal import Decimal, InvalidOperation
from typing import TypedDict

from babel import Locale
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import InvalidInput

ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())
# Exponent 2 in Stripe's API, yet only whole units may be charged.
WHOLE_UNITS_ONLY = frozenset({"isk"})


def _normalize(currency: str) -> str:
    code = currency.lower() if isinstance(currency, str) else ""
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ValueError(f"not an ISO 4217 currency code: {currency!r}")
    return code


def currency_exponent(currency: str) -> int:
    """Power of ten between a unit and Stripe's integer amount (0, 2 or 3)."""
    code = _normalize(currency)
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def currency_decimal_places(currency: str) -> int:
    """Most decimal places an amount in this currency may have (what Stripe accepts)."""
    code = _normalize(currency)
    if code in ZERO_DECIMAL or code in WHOLE_UNITS_ONLY:
        return 0
    return 2


def to_minor_units(amount: Decimal, currency: str) -> int:
    """``Decimal("25.00"), "usd"`` -> ``2500``; raises ``ValueError`` rather than round."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, not {type(amount).__name__}")
    if not amount.is_finite():
        raise ValueError(f"amount is not a finite number: {amount}")
    exponent = currency_exponent(currency)
    step = 10 ** (exponent - currency_decimal_places(currency))
    sign, digits, exp = amount.as_tuple()
    assert isinstance(exp, int)  # finite
    coefficient = int("".join(map(str, digits)))
    shift = exp + exponent
    minor: int  # 10**shift is typed int | float
    remainder: int
    if shift >= 0:
        minor, remainder = coefficient * 10**shift, 0
    else:
        minor, remainder = divmod(coefficient, 10**-shift)
    if remainder or minor % step:
        raise ValueError(
            f"{amount} {currency.upper()} has more decimal places than the currency "
            f"allows ({currency_decimal_places(currency)})"
        )
    return -minor if sign else minor


def from_minor_units(minor: int, currency: str) -> Decimal:
    """``2500, "usd"`` -> ``Decimal("25.00")``; ``500, "isk"`` -> ``Decimal("5")``.

    The result has the currency's decimal places, or more digits when Stripe sent
    an amount finer than that (kept exact, never rounded).
    """
    if not isinstance(minor, int) or isinstance(minor, bool):
        raise TypeError(f"minor units must be an int, not {type(minor).__name__}")
    exponent = currency_exponent(currency)
    places = currency_decimal_places(currency)
    step = 10 ** (exponent - places)
    sign = 1 if minor < 0 else 0
    magnitude = abs(minor)
    if magnitude % step == 0:
        coefficient, exp = magnitude // step, -places
    else:
        coefficient, exp = magnitude, -exponent
    return Decimal((sign, tuple(int(d) for d in str(coefficient)), exp))


# How an amount is written, on the web pages and in the API alike: ASCII digits, at most one
# dot with digits on both sides, an optional minus (which validate_amount then refuses with a
# clearer message than "not a number"). Python's Decimal also reads "1_000", Arabic-Indic
# digits (U+0661...), "1e3", "Infinity" and " 25 "; an amount is none of those. How many decimals
# the currency allows is validate_amount's to say.
PLAIN_AMOUNT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)


def is_plain_amount(text: str) -> bool:
    """Whether ``text`` is an amount as PLAIN_AMOUNT writes one ("25", "25.00", not "1e3")."""
    return isinstance(text, str) and PLAIN_AMOUNT.fullmatch(text) is not None


# Database columns for amounts: 15 integer digits, so totals of a million maximal pledges still fit;
# three decimals for the three-decimal currencies.
class _MoneyColumn(TypedDict):
    max_digits: int
    decimal_places: int


MONEY_FIELD: _MoneyColumn = {"max_digits": 18, "decimal_places": 3}

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


# The smallest amount Stripe charges in each currency (docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
# Stripe fixes no floor for KRW, BHD and KWD beyond "about USD 0.50 at the day's rate":
# a conservative fixed floor above that stands in, so no pledge is refused at collection.
MINIMUM_CHARGE = {
    "USD": Decimal("0.50"),
    "EUR": Decimal("0.50"),
    "GBP": Decimal("0.30"),
    "CAD": Decimal("0.50"),
    "AUD": Decimal("0.50"),
    "NZD": Decimal("0.50"),
    "CHF": Decimal("0.50"),
    "SEK": Decimal("3.00"),
    "NOK": Decimal("3.00"),
    "DKK": Decimal("2.50"),
    "PLN": Decimal("2.00"),
    "CZK": Decimal("15.00"),
    "JPY": Decimal("50"),
    "SGD": Decimal("0.50"),
    "HKD": Decimal("4.00"),
    "MXN": Decimal("10.00"),
    "KRW": Decimal("1000"),
    "BHD": Decimal("0.250"),
    "KWD": Decimal("0.250"),
}


def minimum_charge(currency: str) -> Decimal:
    return MINIMUM_CHARGE[currency.upper()]


def quantize(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-currency_decimal_places(currency)))


def validate_currency(currency: str) -> str:
    code = (currency or "").upper()
    if code not in SUPPORTED_CURRENCIES:
        raise InvalidInput(_("Unsupported currency %(currency)r.") % {"currency": currency}, code="invalid_currency")
    return code


def max_charge(currency: str) -> Decimal:
    return Decimal(MAX_CHARGE_MINOR_UNITS).scaleb(-currency_exponent(currency))


# The amounts validate_amount checks, named in the reader's language in its messages.
FIELD_NAMES = {
    "amount": gettext_lazy("amount"),
    "goal": gettext_lazy("goal"),
    "minimum": gettext_lazy("minimum"),
    "shipping": gettext_lazy("shipping"),
    "price": gettext_lazy("price"),
}


def validate_amount(
    amount: Decimal,
    currency: str,
    *,
    field: str = "amount",
    maximum: Decimal | None = None,
    chargeable: bool = False,
) -> Decimal:
    """The amount if it is positive, finite, at most ``maximum`` (default: one card payment)
    and exact in the currency's minor unit; with ``chargeable``, also at least what the
    provider charges in that currency (a pledge, a tier's price)."""
    name = FIELD_NAMES.get(field, field)
    try:
        finite = amount.is_finite()
    except (AttributeError, InvalidOperation):
        finite = False
    if not finite:
        raise InvalidInput(_("%(field)s must be a number.") % {"field": name}, code=f"invalid_{field}")
    if amount <= 0:
        raise InvalidInput(_("%(field)s must be greater than zero.") % {"field": name}, code=f"invalid_{field}")
    maximum = max_charge(currency) if maximum is None else maximum
    if amount > maximum:
        raise InvalidInput(
            _("%(field)s is too large: at most %(maximum)s %(currency)s.")
            % {"field": name, "maximum": quantize(maximum, currency), "currency": currency},
            code=f"invalid_{field}",
        )
    places = currency_decimal_places(currency)
    if amount != quantize(amount, currency):
        raise InvalidInput(
            _("%(field)s has more decimal places than %(currency)s allows (%(places)d).")
            % {"field": name, "currency": currency, "places": places},
            code=f"invalid_{field}",
        )
    if chargeable and amount < minimum_charge(currency):
        smallest = quantize(minimum_charge(currency), currency)
        raise InvalidInput(
            _("%(field)s is too small: card payments in %(currency)s start at %(smallest)s.")
            % {"field": name, "currency": currency, "smallest": smallest},
            code="below_minimum_charge",
        )
    return quantize(amount, currency)


def percent_funded(pledged: Decimal, goal: Decimal) -> int:
    """Whole percent, rounded down, as crowdfunding sites show it (1192% for the reference campaign)."""
    return int(pledged * 100 // goal) if goal else 0


def display_decimal_places(currency: str) -> int:
    """Decimal places people expect to see: the currency's own (12.500 KWD), or none where
    only whole units are charged (ISK, JPY)."""
    code = _normalize(currency)
    if code in THREE_DECIMAL:
        return 3
    return currency_decimal_places(code)


def format_money(amount: Decimal, currency: str, locale: str | None = None) -> str:
    """``Decimal("1192793"), "USD"`` -> ``"$1,192,793.00"`` in English, ``"1.192.793,00 $"`` in German.

    The locale defaults to the active language. An amount finer than the currency's
    decimals (as Stripe may report one) is shown in full, never rounded. Babel works on
    the Decimal throughout; a float is refused rather than formatted approximately.
    """
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, not {type(amount).__name__}")
    if not amount.is_finite():
        raise ValueError(f"amount is not a finite number: {amount}")
    code = currency.upper()
    places = max(display_decimal_places(code), _decimals_in(amount))
    language = locale or translation.get_language() or settings.LANGUAGE_CODE
    babel_locale = Locale.parse(translation.to_locale(language))
    # The locale's currency pattern (symbol position, separators) with our number of decimals,
    # not CLDR's (which has ISK at 0 but knows nothing of Stripe's rules).
    pattern = copy.copy(babel_locale.currency_formats["standard"])
    pattern.frac_prec = (places, places)
    formatted: str = pattern.apply(amount, babel_locale, currency=code, currency_digits=False)
    return formatted


def _decimals_in(amount: Decimal) -> int:
    """Decimal places the amount needs to be written exactly: 25.000 needs 0, 0.005 needs 3."""
    _sign, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # finite
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing_zeros)) if any(digits) else 0
