"""Markdown that made parsers and sanitisers slow (quadratic or worse), each filled to a given size.

Used by the renderer's tests and by the page, API and e-mail tests that store such text."""


def _fill(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _indented_list(size: int) -> str:
    lines, length, depth = [], 0, 0
    while length < size:
        line = "  " * depth + "- x\n"
        lines.append(line)
        length += len(line)
        depth += 1
    return "".join(lines)[:size]


def _wide_table(size: int) -> str:
    """Every short row is padded to the header's width (size / 8 columns, half of the text)."""
    columns = size // 8
    head = "|a" * columns + "|\n" + "|-" * columns + "|\n"
    return head + _fill("x\n", size - len(head))


def _tables_at_the_parsers_cap(size: int) -> str:
    """cmark-gfm stops padding a table at 524,288 cells: so, many tables, each near that cap."""
    table = "|a" * 100 + "|\n" + "|-" * 100 + "|\n" + "x\n" * 5300 + "\n"
    return _fill(table, size)


def _deep_emphasis(size: int) -> str:
    half = size // 2 - 1
    return "*_" * (half // 2) + "x" + "_*" * (half // 2)


def _backtick_runs(size: int) -> str:
    return _fill("".join("`" * run + "a" for run in range(1, 300)), size)


def _reference_amplified(size: int) -> str:
    definition = "[a]: http://example.com/" + "a" * 2000 + "\n\n"
    return definition + _fill("[a] ", size - len(definition))


def bombs(size: int) -> dict[str, str]:
    """Name → text of exactly ``size`` characters (or a few less)."""
    return {
        "10,000+ [": _fill("[", size),
        "[ then ](": _fill("[", size - 2) + "](",
        "[a]( repeated": _fill("[a](", size),
        "![ repeated": _fill("![", size),
        "nested list markers - - -": _fill("- ", size),
        "nested list markers 1. 1.": _fill("1. ", size),
        "indented nested list": _indented_list(size),
        "nested blockquotes >>>": _fill(">", size),
        "nested blockquotes > > >": _fill("> ", size),
        "emphasis *_*_": _fill("*_", size),
        "emphasis nested *_ x _*": _deep_emphasis(size),
        "emphasis *a _b": _fill("*a _b ", size),
        "strikethrough ~": _fill("~", size),
        "backticks": _fill("`", size),
        "backtick runs": _backtick_runs(size),
        "wide table": _wide_table(size),
        "tables at the parser's cap": _tables_at_the_parsers_cap(size),
        "html tag soup": _fill("<div><span><a href='", size),
        "html nested divs": _fill("<div>", size),
        "html unclosed <a": _fill("<a ", size),
        "html comments": _fill("<!-- ", size),
        "NUL and control characters": _fill("a\x00\x01\x07\x1b\x7f\u200b\u202e\u2028\r ", size),
        "reference amplification": _reference_amplified(size),
        "autolinks www.": _fill("www.", size),
        "entities &#": _fill("&#", size),
        "setext underlines": _fill("a\n=\n", size),
    }
