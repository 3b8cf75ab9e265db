"""Plain text that people read (titles, names): no invisible direction or control characters."""

import unicodedata

from core.errors import InvalidInput

# Characters that reorder or hide text (Trojan Source, spoofed file names in titles).
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def check_plain_text(value: str, *, field: str) -> str:
    for char in value:
        if char in BIDI_CONTROLS or (unicodedata.category(char) == "Cc" and char not in "\t"):
            raise InvalidInput(
                f"{field} contains an invisible control character (U+{ord(char):04X}).", code=f"invalid_{field}"
            )
    return value
