"""Pages carry a Content Security Policy that runs scripts only from us and Stripe.js, and
no template carries an inline script the policy would have to allow."""

import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/login/", "/signup/"])
def test_pages_carry_the_policy(client, path):
    policy = client.get(path)["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())

    stripe_js = re.match(r"https?://[^/]+", settings.STRIPE_JS_URL).group(0)
    sources = directives["script-src"].split()
    assert sources[0] == "'self'" and stripe_js in sources
    assert "'unsafe-inline'" not in directives["script-src"]
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"


def test_no_template_runs_an_inline_script():
    inline = []
    for template in (ROOT / "web" / "templates").rglob("*.html"):
        for tag in re.findall(r"<script\b[^>]*>", template.read_text()):
            if "src=" not in tag and 'type="application/json"' not in tag:
                inline.append(f"{template.relative_to(ROOT)}: {tag}")
        if re.search(r"\son[a-z]+=\"", template.read_text()):
            inline.append(f"{template.relative_to(ROOT)}: an on… event attribute")

    assert inline == []
