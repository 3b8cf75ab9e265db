"""Usernames people read and compare: one spelling per name, no look-alikes.

A username is stored NFKC-normalised (a full-width "dave", U+FF44 U+FF41 U+FF56 U+FF45, is
stored as ASCII "dave"; a ligature as its letters), and two accounts never share its *key*: the
NFKC case-folded form, so "Straße", "STRASSE" and "strasse" are one name.

Look-alikes are refused with the Unicode confusables data (UTS #39) that the
``confusable_homoglyphs`` package ships:

* a name mixing scripts ("admin" spelt with a Cyrillic U+0430 for its "a") is refused; digits
  and ``_ . @ + -`` are common to every script and mix with any;
* a name in one script other than Latin whose every letter looks like an ASCII letter or digit
  (Cyrillic U+0441 U+043E U+0440 U+0435 reads as "cope") is refused. Names in other scripts that
  cannot pass for ASCII (Cyrillic "ivan", U+0438 U+0432 U+0430 U+043D; Japanese) are welcome.
"""

import re
import string
import unicodedata

from django.utils.translation import gettext as _

from core.errors import InvalidInput

MAX_LENGTH = 150
# Django's UnicodeUsernameValidator: letters, digits and @ . + - _ of any script.
ALLOWED = re.compile(r"^[\w.@+-]+\Z")
ASCII_ALNUM = frozenset(string.ascii_letters + string.digits)
# A deleted account keeps its row (pledges and charges point at it) under a name no one can
# choose, since "~" is not allowed above.
DELETED_PREFIX = "~deleted-"


def normalize_username(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw)


def username_key(username: str) -> str:
    """What two usernames must not share: NFKC, case-folded, NFKC again (folding can denormalise)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())


def _looks_like_ascii(char: str) -> bool:
    from confusable_homoglyphs.confusables import confusables_data

    return any(set(glyph["c"]) <= ASCII_ALNUM for glyph in confusables_data.get(char, ()))


def check_username(raw: str) -> str:
    """The username to store (NFKC); InvalidInput (code ``invalid_username``) for one that is not allowed."""
    # Imported here: the package loads its Unicode tables at import (a twentieth of a second),
    # which every process would pay at start-up; only sign-up uses them.
    from confusable_homoglyphs import categories
    from confusable_homoglyphs.confusables import is_mixed_script

    name = normalize_username(raw)
    if not name or len(name) > MAX_LENGTH or not ALLOWED.match(name):
        raise InvalidInput(
            _("Usernames may contain letters, digits and @/./+/-/_ only, at most %(max)d of them.")
            % {"max": MAX_LENGTH},
            code="invalid_username",
        )
    if is_mixed_script(name, allowed_aliases=["COMMON"]):
        raise InvalidInput(
            _("A username uses the letters of one script only: mixed ones can pass for another name."),
            code="invalid_username",
        )
    letters = [char for char in name if categories.alias(char) != "COMMON"]
    if letters and categories.alias(letters[0]) != "LATIN" and all(_looks_like_ascii(char) for char in letters):
        raise InvalidInput(
            _("This username can be mistaken for one in Latin letters; please choose another."),
            code="invalid_username",
        )
    return name
