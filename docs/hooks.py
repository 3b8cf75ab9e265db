"""MkDocs hooks: the parts of the documentation generated from the code's own definitions.

`<!-- processes -->` in a page becomes the process table built from processes.toml.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from devstack.processes import markdown_table  # noqa: E402

MARKERS = {"<!-- processes -->": markdown_table}


def on_page_markdown(markdown: str, **_kwargs) -> str:
    for marker, generate in MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, generate())
    return markdown
