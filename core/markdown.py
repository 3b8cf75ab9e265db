"""Markdown written by creators, rendered to HTML that is safe to show and e-mail.

A story or an update is shown inside a page that has its own ``<h1>`` (the campaign's
title), so its headings are moved one level down: ``# Why`` becomes ``<h2>``, ``##``
becomes ``<h3>`` and so on (``######`` stays ``<h6>``). A raw ``<h1>`` tag in the text is
not allowed through the cleaner either (its words stay, the tag goes).
"""

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

# The level a top-level ``#`` heading of creator-written Markdown is rendered at.
TOP_HEADING_LEVEL = 2
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_TAGS = nh3.ALLOWED_TAGS - {"h1"}


class _ShiftHeadings(Treeprocessor):
    def run(self, root):
        shift = TOP_HEADING_LEVEL - 1
        for element in root.iter():
            level = _HEADINGS.get(element.tag)
            if level is not None:
                element.tag = f"h{min(6, level + shift)}"


class _ShiftHeadingsExtension(Extension):
    def extendMarkdown(self, md):
        md.treeprocessors.register(_ShiftHeadings(md), "shift_headings", 5)


def render_markdown(body: str) -> str:
    """Markdown to HTML with everything outside a safe list of tags and attributes removed."""
    html = markdown.markdown(body, extensions=["extra", "sane_lists", _ShiftHeadingsExtension()])
    return nh3.clean(html, tags=_TAGS, link_rel="noopener nofollow")
