import re
import time
from html import unescape
from pathlib import Path

import pytest
from django.utils.html import strip_tags

from campaigns.models import Campaign
from core.errors import InvalidInput
from core.markdown import MAX_NESTING, check_markdown, plain_text, render_markdown, shift_headings
from tests.core.markdown_bombs import bombs
from updates.models import CampaignUpdate

STORY_BOMBS = bombs(Campaign.DESCRIPTION_MAX_LENGTH)


def test_headings_keep_their_levels_by_default():
    assert render_markdown("# One\n\n## Two") == "<h1>One</h1>\n<h2>Two</h2>"


def test_headings_move_down_under_the_pages_own_headings():
    html = render_markdown("# One\n\n## Two\n\n#### Four\n\n###### Six", top_heading=3)

    assert html == "<h3>One</h3>\n<h4>Two</h4>\n<h6>Four</h6>\n<h6>Six</h6>"


def test_stored_html_moves_its_headings_once_each():
    stored = render_markdown("# One\n\n## Two\n\n### Three")

    assert shift_headings(stored, top_heading=2) == "<h2>One</h2>\n<h3>Two</h3>\n<h4>Three</h4>"
    assert shift_headings(stored, top_heading=1) == stored


def test_raw_html_is_not_rendered_so_its_heading_and_handlers_are_gone():
    # Python-Markdown passed raw HTML on to the sanitiser (this rendered "<h4>Raw</h4>"); raw HTML
    # is now dropped, the text between inline tags kept.
    html = render_markdown('<h1 onclick="x()">Raw</h1>\n\nA <b onclick="y()">word</b>', top_heading=4)

    assert html == "<p>A word</p>"


@pytest.mark.parametrize(
    "text",
    [
        "A *notebook* <img src=x onerror=alert(1)> <script>alert(2)</script> [a](javascript:x)",
        "[a](JaVaScRiPt:alert(1)) [b](vbscript:x) [c](data:text/html;base64,PHNjcmlwdD4=) ![d](javascript:x)",
        '<a href="javascript:alert(1)" style="color:red" onmouseover="x()">raw link</a>',
        "<div>\n<svg onload=alert(1)><style>body{display:none}</style>\n</div>",
        '[t](/u "title\\" onmouseover=\\"x()") <iframe src="https://evil.example"></iframe>',
        "<scr<script>ipt>alert(1)</script> <<img src=x onerror=alert(1)>>",
    ],
)
def test_scripts_script_links_handlers_and_styles_are_removed(text):
    html = render_markdown(text).lower()
    tags = [re.sub(r'"[^"]*"', '""', tag) for tag in re.findall(r"<[^>]*>", html)]  # attribute values aside

    assert not [tag for tag in tags if re.search(r"\son\w+=|\sstyle=|javascript:|vbscript:|data:", tag)]
    assert not [tag for tag in tags if re.match(r"</?(script|style|iframe|svg|object|embed)\b", tag)]


def test_links_are_marked_noopener_nofollow():
    assert render_markdown("[home](https://example.com/a?b=1&c=2)") == (
        '<p><a href="https://example.com/a?b=1&amp;c=2" rel="noopener nofollow">home</a></p>'
    )


def test_what_creators_write_still_renders():
    text = "\n".join(
        [
            "## Plan",
            "",
            "*Paper*, **ink** and `code`; ~~gone~~; see www.example.com.",
            "",
            "- one",
            "- two",
            "  1. nested",
            "",
            "> quoted",
            "",
            "```",
            "a < b",
            "```",
            "",
            "| Tier | Price |",
            "|------|------:|",
            "| Book | 25 |",
            "",
            "![Map](https://example.com/map.png)",
            "",
            "---",
        ]
    )

    assert render_markdown(text) == "\n".join(
        [
            "<h2>Plan</h2>",
            "<p><em>Paper</em>, <strong>ink</strong> and <code>code</code>; <del>gone</del>; see "
            '<a href="http://www.example.com" rel="noopener nofollow">www.example.com</a>.</p>',
            "<ul>",
            "<li>one</li>",
            "<li>two",
            "<ol>",
            "<li>nested</li>",
            "</ol>",
            "</li>",
            "</ul>",
            "<blockquote>",
            "<p>quoted</p>",
            "</blockquote>",
            "<pre><code>a &lt; b",
            "</code></pre>",
            "<table>",
            "<thead>",
            "<tr>",
            "<th>Tier</th>",
            '<th align="right">Price</th>',
            "</tr>",
            "</thead>",
            "<tbody>",
            "<tr>",
            "<td>Book</td>",
            '<td align="right">25</td>',
            "</tr>",
            "</tbody>",
            "</table>",
            '<p><img src="https://example.com/map.png" alt="Map"></p>',
            "<hr>",
        ]
    )


def test_the_plain_text_of_a_story_is_its_words_decoded_once():
    html = render_markdown(
        '# Why\n\nTom & Jerry say "hi" <3, x > y.\n\n'
        'A [link](https://example.com "a>b <c> &") and intra**word** emphasis.\n\n- one\n- two'
    )

    assert plain_text(html) == 'Why Tom & Jerry say "hi" <3, x > y. A link and intraword emphasis. one two'


@pytest.mark.parametrize("name", STORY_BOMBS)
def test_the_plain_text_of_pathological_markdown_is_what_an_html_parser_finds(name):
    """Django's strip_tags (Python's HTML parser, run until no tag is left) as the reference, on
    the first 5,000 characters of each: the whole story takes it up to 0.1 s."""
    html = render_markdown(STORY_BOMBS[name][:5000])

    assert plain_text(html) == " ".join(unescape(strip_tags(html)).split())


@pytest.mark.parametrize("name", STORY_BOMBS)
def test_pathological_markdown_of_the_largest_allowed_story_renders_in_well_under_a_second(name):
    """Python-Markdown took from seconds to minutes on these (6 KB of "[" took 13 s on the server)."""
    text = STORY_BOMBS[name]
    assert len(text) > Campaign.DESCRIPTION_MAX_LENGTH - 5

    started = time.perf_counter()
    html = render_markdown(text, top_heading=3)
    elapsed = time.perf_counter() - started

    assert elapsed < 1.0, f"{name}: {elapsed:.2f} s"
    assert "<script" not in html and "<div" not in html


@pytest.mark.parametrize("name", bombs(CampaignUpdate.BODY_MAX_LENGTH))
def test_pathological_markdown_of_the_largest_allowed_update_renders_in_well_under_a_second(name):
    text = bombs(CampaignUpdate.BODY_MAX_LENGTH)[name]

    started = time.perf_counter()
    render_markdown(text, top_heading=4)

    assert time.perf_counter() - started < 1.0


def _deepest_nesting(html: str) -> int:
    depth = deepest = 0
    for closing, _name in re.findall(r"<(/?)(blockquote|ol|ul)\b", html):
        depth += -1 if closing else 1
        deepest = max(deepest, depth)
    assert depth == 0
    return deepest


@pytest.mark.parametrize("name", ["nested blockquotes >>>", "nested blockquotes > > >", "nested list markers 1. 1."])
def test_quotes_and_lists_stop_nesting_at_the_cap_and_keep_their_text(name):
    html = render_markdown(STORY_BOMBS[name][:2000] + "deep\n\nend")

    assert _deepest_nesting(html) == MAX_NESTING
    assert "deep" in html and html.endswith("<p>end</p>")


def test_a_few_quotes_deep_are_kept_as_written():
    assert render_markdown("> > > deep") == (
        "<blockquote>\n<blockquote>\n<blockquote>\n<p>deep</p>\n</blockquote>\n</blockquote>\n</blockquote>"
    )


def test_a_table_that_would_pad_into_millions_of_cells_is_shown_as_text():
    html = render_markdown(STORY_BOMBS["wide table"])

    assert "<td" not in html and "<table" not in html
    assert len(html) < 2 * Campaign.DESCRIPTION_MAX_LENGTH


def test_a_story_with_a_large_real_table_keeps_it():
    rows = "\n".join(f"| {n} | row {n} | {n * 2} | {n * 3} | x |" for n in range(500))
    html = render_markdown("| a | b | c | d | e |\n|---|---|---|---|---|\n" + rows + "\n\nAfter.")

    assert html.count("<td>") == 500 * 5
    assert html.endswith("<p>After.</p>")


def test_nul_and_control_characters_render_as_text_without_the_nul():
    html = render_markdown("a\x00b\x01c\x1bd\u202ee\u200bf")

    assert "\x00" not in html
    assert html.startswith("<p>a") and html.endswith("f</p>")


def _resident_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096


def test_rendering_gives_back_the_memory_the_parser_takes():
    """The cmarkgfm binding frees neither the syntax tree nor the HTML (about 4 MB per 50 KB story)."""
    story = ("# Part\n\nSome *words* and [a link](https://example.com).\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n" * 700)[
        : Campaign.DESCRIPTION_MAX_LENGTH
    ]
    render_markdown(story)
    before = _resident_bytes()

    for _ in range(30):
        render_markdown(story)

    assert _resident_bytes() - before < 40 * 1024 * 1024


def test_a_stored_text_is_refused_when_it_is_too_long():
    limit = Campaign.DESCRIPTION_MAX_LENGTH

    assert check_markdown("a" * limit, field="description", max_length=limit) == "a" * limit
    with pytest.raises(InvalidInput) as refused:
        check_markdown("a" * (limit + 1), field="description", max_length=limit)

    assert refused.value.code == "invalid_description"
    assert refused.value.message == "description is too long: at most 50000 characters, this one has 50001."


@pytest.mark.parametrize("text", ["a\x00b", "a\ud800b"])
def test_a_stored_text_is_refused_when_postgresql_cannot_store_it(text):
    with pytest.raises(InvalidInput) as refused:
        check_markdown(text, field="body", max_length=100)

    assert refused.value.code == "invalid_body"
