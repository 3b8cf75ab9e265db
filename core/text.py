"""Plain text that people read (titles, names): no invisible direction or control characters."""

import unicodedata

from django.utils.text import Truncator

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


def person(user) -> str:
    """Someone as staff recognise them: "Ann Lee (ann@example.com)", the username when no name is given."""
    name = user.get_full_name().strip() or user.get_username()
    return f"{name} ({user.email})" if user.email else name


def shorten(text: str, length: int = 30) -> str:
    """A long title cut at a word and marked: "The new RECORD, ART BOOK…"."""
    return Truncator(text).chars(length, truncate="…")
