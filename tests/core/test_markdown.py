"""Creator-written Markdown: headings sit below the page's own <h1>, nothing unsafe gets through."""

from core.markdown import render_markdown


def test_headings_move_one_level_down_so_the_page_keeps_a_single_h1():
    html = render_markdown("# Why\n\n## How\n\n###### Fine print\n\nSetext\n======\n\n<h1>Raw</h1>")

    assert "<h1" not in html
    assert "<h2>Why</h2>" in html
    assert "<h3>How</h3>" in html
    assert "<h6>Fine print</h6>" in html  # there is no h7
    assert "<h2>Setext</h2>" in html
    assert "Raw" in html  # the words of a raw <h1> stay, the tag goes


def test_unsafe_markup_is_removed():
    html = render_markdown("A *notebook* <img src=x onerror=alert(1)> <script>alert(2)</script> [a](javascript:x)")

    assert "<em>notebook</em>" in html
    assert "onerror" not in html and "<script" not in html and "javascript:" not in html
