from core.markdown import render_markdown


def test_headings_keep_their_levels_by_default():
    assert render_markdown("# One\n\n## Two") == "<h1>One</h1>\n<h2>Two</h2>"


def test_headings_move_down_under_the_pages_own_headings():
    html = render_markdown("# One\n\n## Two\n\n#### Four\n\n###### Six", top_heading=3)

    assert html == "<h3>One</h3>\n<h4>Two</h4>\n<h6>Four</h6>\n<h6>Six</h6>"


def test_raw_html_headings_move_too_and_stay_sanitised():
    html = render_markdown('<h1 onclick="x()">Raw</h1>', top_heading=4)

    assert html == "<h4>Raw</h4>"


def test_unsafe_markup_is_removed():
    html = render_markdown("A *notebook* <img src=x onerror=alert(1)> <script>alert(2)</script> [a](javascript:x)")

    assert "<em>notebook</em>" in html
    assert "onerror" not in html and "<script" not in html and "javascript:" not in html
