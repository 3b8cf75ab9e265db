"""Markdown written by creators, rendered to HTML that is safe to show and e-mail."""

import markdown
import nh3


def render_markdown(body: str) -> str:
    """Markdown to HTML with everything outside a safe list of tags and attributes removed."""
    return nh3.clean(markdown.markdown(body, extensions=["extra", "sane_lists"]), link_rel="noopener nofollow")
