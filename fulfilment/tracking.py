"""What a carrier, a tracking number and a tracking link may be, for one pledge or a CSV row."""

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

# A cell a spreadsheet would run as a formula: the pattern of reports.writers.FORMULA_START (that
# app sits above this one). Such a value is refused on the way in, whatever the export does.
_FORMULA = re.compile(r"^(?:[ \t\r\n;,]*[=+@-]|[\t\r;])")
# Carriers' numbers are letters and digits, some with spaces, dashes, dots or slashes between.
_TRACKING = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9 ./-]*[A-Za-z0-9])?$")
_URL = URLValidator(schemes=["http", "https"])


def looks_like_formula(value: str) -> bool:
    return bool(_FORMULA.match(value))


def tracking_number_error(value: Any, *, max_length: int) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return _("A tracking number is required.")
    text = value.strip()
    if len(text) > max_length:
        return _("At most %(count)d characters.") % {"count": max_length}
    if not _TRACKING.match(text):
        return _("Letters, digits, spaces and . / - only.")
    return None


def tracking_url_error(value: Any, *, max_length: int) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        return _("Expected a link.")
    text = value.strip()
    if len(text) > max_length:
        return _("At most %(count)d characters.") % {"count": max_length}
    try:
        _URL(text)
    except ValidationError:
        return _("Enter a link starting with https:// or http://.")
    return None
