"""Markdown written by creators (stories, updates), rendered once when it is saved to HTML that is
safe to show and e-mail. Pages, the API and e-mails read the stored HTML; nothing parses Markdown
on a page view.

The parser is GitHub's cmark-gfm (the ``cmarkgfm`` wheel): C, built for untrusted input, linear in
its input and fuzzed. Of the 50,000-character pathological inputs in tests/core/markdown_bombs.py,
the whole render (below) took at most 0.25 s here and most under 0.1 s, where markdown-it-py (pure
Python) took 1.5 s for 50,000 ``[`` and 2.3 s for a wide table, and Python-Markdown, used before,
more than a minute for several.

Around it, each for a reason measured here:

- Raw HTML in the text is not rendered (cmark's safe mode drops it and links to ``javascript:``
  and the like). The sanitiser, nh3 (html5ever), slows down with nesting depth: 50,000 nested
  blockquotes took it 30 to 60 s, 10,000 nested ``<div>`` over a second. With raw HTML gone,
  every tag nh3 sees was written by cmark, so the nesting can be counted and capped:
- quotes and lists nested deeper than MAX_NESTING lose their extra levels, not their text;
- tables: GFM pads every short row to the header's width, so 5 KB of text can ask for half a
  million cells (cmark-gfm stops each table at 524,288: 5 MB of HTML and a second of work).
  The cells the tables could have are counted from the text first (an upper bound); above
  MAX_TABLE_CELLS the text is rendered without tables, their pipes shown as written;
- the cmarkgfm binding never frees what cmark allocates (about 4 MB per 50 KB story): the
  syntax tree and the output are freed here.

Everything passes nh3 last (tags and attributes on its allow-list, ``rel="noopener nofollow"``
on links). Compared with Python-Markdown's "extra": tables, emphasis, links, lists, headings,
code (fenced too), blockquotes and images work as before; bare URLs now become links and
``~~text~~`` strikes through; footnotes, definition lists, abbreviations, ``{: attributes}`` and
raw HTML are not rendered any more.
"""

import ctypes
import re
from html import unescape

import nh3
from cmarkgfm import _cmark
from django.utils.translation import gettext as _

from core.errors import InvalidInput
from core.text import FIELD_NAMES, storable

MAX_NESTING = 16
MAX_TABLE_CELLS = 20_000

_lib, _ffi = _cmark.lib, _cmark.ffi
_lib.cmark_gfm_core_extensions_ensure_registered()
_EXTENSIONS = tuple(_lib.cmark_find_syntax_extension(name) for name in (b"strikethrough", b"autolink"))
_TABLES = _lib.cmark_find_syntax_extension(b"table")
_SAFE = _lib.CMARK_OPT_DEFAULT  # without CMARK_OPT_UNSAFE: no raw HTML, no javascript: links

# What cmarkgfm leaves allocated: the document's tree (cmark_node_free) and the HTML (libc's free,
# cmark's default allocator).
_cmark_so = ctypes.CDLL(_cmark.__file__)
_cmark_so.cmark_node_free.argtypes = [ctypes.c_void_p]
_cmark_so.cmark_node_free.restype = None
_libc_free = ctypes.CDLL(None).free
_libc_free.argtypes = [ctypes.c_void_p]
_libc_free.restype = None


def _address(pointer: object) -> int:
    return int(_ffi.cast("uintptr_t", pointer))


def _cmark_html(text: str, *, tables: bool) -> str:
    data = text.encode("utf-8", "replace")  # a lone surrogate becomes "?"
    parser = _lib.cmark_parser_new(_SAFE)
    try:
        for extension in (*_EXTENSIONS, _TABLES) if tables else _EXTENSIONS:
            _lib.cmark_parser_attach_syntax_extension(parser, extension)
        _lib.cmark_parser_feed(parser, data, len(data))
        document = _lib.cmark_parser_finish(parser)
        try:
            html = _lib.cmark_render_html(document, _SAFE, _lib.cmark_parser_get_syntax_extensions(parser))
            try:
                rendered: str = _ffi.string(html).decode("utf-8")
                return rendered
            finally:
                _libc_free(_address(html))
        finally:
            _cmark_so.cmark_node_free(_address(document))
    finally:
        _lib.cmark_parser_free(parser)


# Lines as cmark splits them; blank for cmark is spaces and tabs only (a form feed is not).
_LINE_BREAK = re.compile(r"\r\n?|\n")
_BLANK = re.compile(r"[ \t]*")
# A table's delimiter row (|---|:-:|), behind any quote markers and indentation.
_DELIMITER_ROW = re.compile(r"[ \t>]*[|:\- \t\v\f]*")


def _table_cells_at_most(text: str) -> int:
    """An upper bound of the cells cmark-gfm's tables would have: for each line that may be a
    delimiter row, its columns (pipes + 1) times the lines up to the next blank one."""
    lines = _LINE_BREAK.split(text)
    cells, rows_below = 0, 0
    for line in reversed(lines):
        if _BLANK.fullmatch(line):
            rows_below = 0
            continue
        if "|" in line and "-" in line and _DELIMITER_ROW.fullmatch(line):
            cells += (line.count("|") + 1) * rows_below
        rows_below += 1
    return cells


# Every tag here was written by cmark (raw HTML is dropped, text is escaped), so this finds them all.
_CONTAINER_TAG = re.compile(r"(<(/?)(blockquote|ol|ul|li)\b[^>]*>)")


def _cap_nesting(html: str) -> str:
    """Drop the tags of quotes and lists nested deeper than MAX_NESTING, keeping what is inside
    (an item goes with its list)."""
    if html.count("<blockquote") + html.count("<ol") + html.count("<ul") <= MAX_NESTING:
        return html
    parts = _CONTAINER_TAG.split(html)  # text, (tag, "/" or "", name, text)...
    out = [parts[0]]
    kept: list[bool] = []
    depth = 0
    for index in range(1, len(parts), 4):
        tag, closing, name, text = parts[index : index + 4]
        if closing:
            keep = kept.pop()
            if keep and name != "li":
                depth -= 1
        else:
            if name == "li":
                keep = bool(kept) and kept[-1]
            else:
                keep = depth < MAX_NESTING
                depth += keep
            kept.append(keep)
        if keep:
            out.append(tag)
        out.append(text)
    return "".join(out)


def shift_headings(html: str, *, top_heading: int) -> str:
    """Stored HTML with its headings moved down: a ``# heading`` becomes ``top_heading`` (a story
    shown under the page's h2 passes 3, so the page keeps one h1 and its headings in order).
    Deeper levels move with it and stop at h6.

    Plain replacements over HTML nh3 wrote, where a ``<`` outside a tag is always escaped; the
    deepest level first, so that no heading moves twice."""
    shift = top_heading - 1
    for level in range(6, 0, -1) if shift else ():
        moved = min(level + shift, 6)
        html = html.replace(f"<h{level}", f"<h{moved}").replace(f"</h{level}>", f"</h{moved}>")
    return html


# A tag of HTML nh3 wrote: it escapes "<" and ">" in text and in attribute values alike, so the
# first ">" ends the tag.
_TAG = re.compile(r"<[^>]*>")


def plain_text(html: str) -> str:
    """The text of stored HTML (this module's output) for a summary: tags dropped, entities decoded,
    white space collapsed. Linear in the HTML, where Django's strip_tags parses it in Python again
    until no tag is left (up to 0.1 s for the longest stories) and leaves entities encoded."""
    return " ".join(unescape(_TAG.sub("", html)).split())


def render_markdown(body: str, *, top_heading: int = 1) -> str:
    """Markdown to sanitised HTML (see the module's notes); its headings start at ``top_heading``."""
    html = _cmark_html(body, tables=_table_cells_at_most(body) <= MAX_TABLE_CELLS)
    html = nh3.clean(_cap_nesting(html), link_rel="noopener nofollow")
    return shift_headings(html.strip(), top_heading=top_heading)


def check_markdown(body: str, *, field: str, max_length: int) -> str:
    """What every path that stores Markdown checks first: its length, and no character PostgreSQL
    cannot store (NUL, a lone surrogate)."""
    if len(body) > max_length:
        raise InvalidInput(
            _("%(field)s is too long: at most %(limit)d characters, this one has %(length)d.")
            % {"field": FIELD_NAMES.get(field, field), "limit": max_length, "length": len(body)},
            code=f"invalid_{field}",
        )
    if not storable(body):
        raise InvalidInput(
            _("%(field)s contains a character that cannot be stored (NUL or a lone surrogate).")
            % {"field": FIELD_NAMES.get(field, field)},
            code=f"invalid_{field}",
        )
    return body


def render_for_storage(body: str, *, field: str, max_length: int) -> str:
    """The HTML a service stores beside the Markdown it saves, once ``body`` passed check_markdown."""
    return render_markdown(check_markdown(body, field=field, max_length=max_length))
