"""The documentation names every setting the code reads, and the site stays offline."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = (ROOT / "docs" / "operations.md").read_text()
# env("NAME"...), env.int("NAME"...), env.email_url("NAME"...) in the settings; os.environ.get("NAME") in gunicorn's.
READS = re.compile(r"""(?:\benv(?:\.\w+)?|os\.environ\.get)\(\s*["']([A-Z][A-Z0-9_]+)["']""")


def _read_by(path: str) -> set[str]:
    return set(READS.findall((ROOT / path).read_text()))


def test_the_pattern_finds_what_the_settings_read():
    found = _read_by("config/settings.py")

    # One of each form: a plain read, a typed one, one split over lines, the e-mail URL.
    assert {"DJANGO_SECRET_KEY", "STRIPE_RATE_LIMIT", "STRIPE_JS_URL", "EMAIL_PORT", "EMAIL_URL"} <= found
    assert len(found) > 60


def test_operations_names_every_setting_the_code_reads():
    read = _read_by("config/settings.py") | _read_by("config/gunicorn.py")

    undocumented = sorted(name for name in read if f"`{name}`" not in OPERATIONS)

    assert undocumented == []


def test_the_site_loads_nothing_from_elsewhere():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text().replace("!!python", "#"))

    assert config["theme"]["font"] is False  # Material would fetch Google Fonts
    assert not config.get("extra_javascript") and not config.get("extra_css")
    assert "analytics" not in config.get("extra", {})
    assert config["strict"] is True
