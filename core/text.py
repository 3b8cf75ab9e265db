"""Plain text that people read (titles, names): no invisible direction or control characters."""

import re
import unicodedata
from typing import Any

from django.utils import translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import InvalidInput

# Characters that reorder or hide text (Trojan Source, spoofed file names in titles). All are
# format characters (Cf) but U+061C's neighbours; named here for the reader.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# What a single line of text people read (a title, a name) never needs: controls (NUL, tab, new
# lines), format characters (direction marks, zero-width spaces and joiners U+200B..U+200D, the
# word joiner U+2060, the byte order mark U+FEFF), the line and paragraph separators U+2028 and
# U+2029, private-use code points and lone surrogates. Unassigned code points pass: Python's
# Unicode tables may not know an emoji the reader's device shows. Refused, never stripped, so the
# writer sees what was wrong. (U+200D also joins some emoji sequences: a family becomes its people.)
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})


def invisible_character(value: str) -> str | None:
    """The first character of ``value`` that REFUSED_CATEGORIES (or BIDI_CONTROLS) refuses."""
    for char in value:
        if char in BIDI_CONTROLS or unicodedata.category(char) in REFUSED_CATEGORIES:
            return char
    return None


# What PostgreSQL can neither store nor compare in text: NUL, and a lone surrogate (not UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value: str) -> bool:
    """Whether PostgreSQL can store ``value``, or look it up: a query holding NUL fails (a 500)."""
    return _UNSTORABLE.search(value) is None


# The texts check_plain_text checks, named in the reader's language in its message.
FIELD_NAMES = {
    "title": gettext_lazy("title"),
    "description": gettext_lazy("description"),
    "body": gettext_lazy("body"),
    "image_alt": gettext_lazy("image description"),
    "comment": gettext_lazy("comment"),
    "review_message": gettext_lazy("review message"),
    "report": gettext_lazy("report"),
    "tag": gettext_lazy("tag"),
    "blurb": gettext_lazy("short description"),
    "question": gettext_lazy("question"),
}


def check_plain_text(value: str, *, field: str) -> str:
    """A single line people read (a title, an image description): refused (``invalid_<field>``)
    if it holds a character invisible_character finds. The services call it, so the API and
    the web pages refuse the same."""
    char = invisible_character(value)
    if char is not None:
        raise InvalidInput(
            _("%(field)s contains an invisible or control character (U+%(code)04X).")
            % {"field": FIELD_NAMES.get(field, field), "code": ord(char)},
            code=f"invalid_{field}",
        )
    return value


def person(user: Any) -> str:
    """Someone as staff recognise them: "Ann Lee (ann@example.com)", the username when no name is given."""
    name = user.get_full_name().strip() or user.get_username()
    return f"{name} ({user.email})" if user.email else name


def shorten(text: str, length: int = 30) -> str:
    """A long title cut at a word and marked: "The new RECORD, ART BOOK…"."""
    return Truncator(text).chars(length, truncate="…")


def in_sentence(label: object) -> str:
    """A state's label inside a sentence ("A canceled pledge ..."): lower-cased, except in
    German, where the label may be a noun ("Entwurf") and keeps its capital."""
    text = str(label)
    return text if (translation.get_language() or "").startswith("de") else text.lower()
