"""The committed German catalogue, read with Babel (no GNU gettext needed), and the strings the
code marks for translation, found the way makemessages finds them: Django's own templatize()
for templates, Babel's Python extractor for the code and for what templatize() makes of them."""

import io
import os
import re
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_python
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "locale"
PO = LOCALE / "de" / "LC_MESSAGES" / "django.po"
MO = LOCALE / "de" / "LC_MESSAGES" / "django.mo"
# What `make messages` leaves out (tools, tests, the environment).
SKIPPED = {".venv", "var", "tests", "bench", "devstack", "locale", "node_modules", ".git"}
# makemessages' keywords (django/core/management/commands/makemessages.py); the p- ones take a context first.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%\(\w+\)04X")
PLACEHOLDER_TEXT = ".{1,300}?"
KEYWORDS = (
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
)


def german_catalog() -> Catalog:
    with PO.open("rb") as po:
        return read_po(po, locale="de")


def compiled_catalog() -> Catalog:
    with MO.open("rb") as mo:
        return read_mo(mo)


def key(message) -> tuple[str | None, str]:
    """A message's identity: its context and its singular msgid."""
    msgid = message.id[0] if isinstance(message.id, list | tuple) else message.id
    return message.context, msgid


def _sources():
    for directory, subdirectories, files in os.walk(ROOT):
        subdirectories[:] = sorted(d for d in subdirectories if d not in SKIPPED and not d.startswith("."))
        for name in sorted(files):
            path = Path(directory) / name
            parts = set(path.relative_to(ROOT).parts)
            if path.suffix == ".py":
                yield path, path.read_text(encoding="utf-8")
            elif path.suffix in (".html", ".txt") and "templates" in parts:
                # templatize() keeps the template's layout; Python's tokenizer wants no stray indents.
                code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
                yield path, "\n".join(line.lstrip() for line in code.splitlines())


def marked_strings() -> dict[tuple[str | None, str], Path]:
    """Every (context, msgid) marked in the project, with a file that marks it."""
    found = {}
    for path, source in _sources():
        for _line, function, arguments, _comments in extract_python(
            io.BytesIO(source.encode("utf-8")), KEYWORDS, [], {}
        ):
            arguments = arguments if isinstance(arguments, tuple) else (arguments,)
            context, msgid = (
                (arguments[0], arguments[1]) if function.startswith(("pgettext", "npgettext")) else (None, arguments[0])
            )
            if msgid:  # None: not a string literal (gettext(variable)), which makemessages skips too
                found[(context, msgid)] = path
    return found


def english_patterns(catalog: Catalog | None = None) -> list[tuple[str, re.Pattern]]:
    """For each English msgid whose German differs (not "Live", "Status", a date format kept as is),
    a pattern that finds its English text: placeholders match anything, markup is dropped."""
    patterns = []
    for message in catalog or german_catalog():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, list | tuple) else (message.id,)
        strings = message.string if isinstance(message.string, list | tuple) else (message.string,)
        for msgid in ids:
            if msgid in strings:
                continue
            text = re.sub(r"<[^>]+>", "", msgid).replace("%%", "%")
            parts = [re.escape(part) for part in PLACEHOLDER.split(text)]
            if not any(re.search(r"[A-Za-z]{2}", part) for part in parts):
                continue  # nothing English in it ("%(title)s · %(n)s")
            # A placeholder stands for a value shown (a title, an amount, a name), a few hundred
            # characters at most; unbounded, or at either end, it made each search quadratic in the
            # page (minutes for the studio). At an end it adds nothing but "something is there".
            body = PLACEHOLDER_TEXT.join(parts)
            body = body.removeprefix(PLACEHOLDER_TEXT)
            if body.endswith(PLACEHOLDER_TEXT):
                body = body.removesuffix(PLACEHOLDER_TEXT) + "."
            start = r"\b" if re.match(r"\w", text) else ""
            end = r"\b" if re.search(r"\w$", text) else ""
            patterns.append((msgid, re.compile(start + body + end)))
    return patterns


def english_left(text: str, patterns) -> list[str]:
    """The catalogue's English msgids found in a German text."""
    text = " ".join(re.sub(r"https?://\S+", " ", text).split())  # addresses are not words to translate
    return [msgid for msgid, pattern in patterns if pattern.search(text)]


class VisibleText(HTMLParser):
    """What a reader sees or hears of a page: its text, and the attributes shown or read aloud."""

    SHOWN = ("placeholder", "aria-label", "title", "alt")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        attributes = dict(attrs)
        self.parts += [attributes[name] or "" for name in self.SHOWN if name in attributes]
        if tag == "input" and attributes.get("type") in ("submit", "button"):
            self.parts.append(attributes.get("value") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)

    @classmethod
    def of(cls, html: str) -> str:
        parser = cls()
        parser.feed(html)
        return " \n ".join(parser.parts)
