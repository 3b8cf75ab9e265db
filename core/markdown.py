"""Markdown written by creators, rendered to HTML that is safe to show and e-mail."""

import re

import markdown
import nh3

_HEADING_TAG = re.compile(r"<(/?)h([1-6])\b", re.IGNORECASE)


def render_markdown(body: str, *, top_heading: int = 1) -> str:
    """Markdown to HTML with everything outside a safe list of tags and attributes removed.

    `top_heading` is the level a `# heading` of the body becomes: a story shown under the
    page's h2 passes 3, so the page keeps one h1 and its headings in order. Deeper levels
    move down with it and stop at h6.
    """
    html = markdown.markdown(body, extensions=["extra", "sane_lists"])
    if top_heading != 1:
        shift = top_heading - 1
        html = _HEADING_TAG.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + shift, 6)}", html)
    return nh3.clean(html, link_rel="noopener nofollow")
