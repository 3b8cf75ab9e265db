"""The stylesheet's colours meet WCAG 2.x AA, read from web/static/web/site.css itself.

Contrast is computed here with WCAG's own formula (relative luminance of sRGB, then
(L1 + 0.05) / (L2 + 0.05)), not taken from the stylesheet's comments or from axe-core:
text needs 4.5:1, the parts of a control or a graphic that must be seen (input borders,
the progress bar against its track) need 3:1.
"""

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[2] / "web" / "static" / "web" / "site.css"
WHITE = "#ffffff"
TEXT = 4.5
UI = 3.0


def _channel(value: int) -> float:
    srgb = value / 255
    return srgb / 12.92 if srgb <= 0.04045 else ((srgb + 0.055) / 1.055) ** 2.4


def luminance(hex_colour: str) -> float:
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    red, green, blue = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast(one: str, other: str) -> float:
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


class Stylesheet:
    """The rules of a stylesheet's text, and the colours they give (site.css, or a changed copy)."""

    def __init__(self, text: str):
        self.rules = self._rules(re.sub(r"/\*.*?\*/", "", text, flags=re.S))
        (root,) = [declarations for selectors, declarations in self.rules if selectors == [":root"]]
        self.properties = {name: value for name, value in root.items() if name.startswith("--")}

    @staticmethod
    def _rules(text: str) -> list[tuple[list[str], dict[str, str]]]:
        """Every innermost `selectors { declarations }` block (a media query's rules included)."""
        rules = []
        for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
            selectors = re.sub(r"^.*@media[^{]*", "", selectors)  # "@media (...) { .layout" -> ".layout"
            declarations = {}
            for declaration in body.split(";"):
                if ":" in declaration:
                    name, value = declaration.split(":", 1)
                    declarations[name.strip()] = value.strip()
            rules.append(([s.strip() for s in selectors.split(",")], declarations))
        return rules

    def resolve(self, value: str) -> str | None:
        """A colour as #rrggbb: `var(--brand)` or a hex literal, the first in a shorthand; None if neither."""
        match = re.search(r"var\((--[\w-]+)\)|(#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b)", value)
        if not match:
            return None
        colour = self.properties[match.group(1)] if match.group(1) else match.group(2)
        return colour.lower()

    def declared(self, selector: str, prop: str) -> str:
        """The colour a rule of the stylesheet gives `selector` for `prop` (the last such rule wins)."""
        found = [d[prop] for selectors, d in self.rules if selector in selectors and prop in d]
        assert found, f"no rule gives {selector} a {prop}"
        colour = self.resolve(found[-1])
        assert colour, f"{selector} {prop}: {found[-1]!r} is not a colour this test reads"
        return colour

    def var(self, name: str) -> str:
        return self.resolve(f"var({name})")

    def colour(self, spec: str) -> str:
        """A custom property ("--ink"), a literal ("#ffffff") or what a rule declares ("a | color")."""
        if spec.startswith("--"):
            return self.var(spec)
        if spec.startswith("#"):
            return spec
        selector, prop = (part.strip() for part in spec.split("|"))
        return self.declared(selector, prop)

    def border(self, selector: str) -> str:
        (border,) = [d["border"] for selectors, d in self.rules if selector in selectors and "border" in d]
        return border

    def text_failures(self) -> list[str]:
        """The TEXT_PAIRS below under 4.5:1."""
        return [what for what, fg, bg in TEXT_PAIRS if contrast(self.colour(fg), self.colour(bg)) < TEXT]

    def ui_failures(self) -> list[str]:
        """WCAG 1.4.11: 3:1 for an input's border and for the bar's fill against its track and the page."""
        input_border = re.search(r"#[0-9a-fA-F]{3,6}", self.border("input[type=text]")).group(0)
        fill, track = self.declared(".bar span", "background"), self.declared(".bar", "background")
        checks = {
            "input border on the page": contrast(input_border, WHITE),
            "bar fill on its track": contrast(fill, track),
            "bar fill on the page": contrast(fill, WHITE),
            "focus outline on the page": contrast(self.declared(":focus-visible", "outline"), WHITE),
        }
        return [what for what, ratio in checks.items() if ratio < UI]


SITE = Stylesheet(CSS.read_text())


def test_the_formula_matches_wcags_reference_values():
    assert contrast("#000", "#fff") == pytest.approx(21.0)
    assert contrast("#fff", "#fff") == pytest.approx(1.0)
    assert contrast("#767676", "#fff") == pytest.approx(4.54, abs=0.005)  # the lightest grey passing AA on white
    assert contrast("#777777", "#fff") < TEXT


def test_the_old_brand_green_would_fail():
    """The green of issue 12 (#2ecc71, about 2.1:1 on white), put back as --brand in a copy of
    site.css, is caught by the same checks the stylesheet passes."""
    old = Stylesheet(re.sub(r"--brand: #[0-9a-fA-F]{6};", "--brand: #2ecc71;", CSS.read_text()))

    assert old.var("--brand") == "#2ecc71"
    assert old.text_failures() == ["brand name in the header", "primary button"]
    assert old.ui_failures() == ["bar fill on its track", "bar fill on the page"]
    assert SITE.text_failures() == SITE.ui_failures() == []


# Text colours on the surfaces they sit on: the page and cards (white), notices (--bg-soft),
# error notices (their own pink). Links are --brand-dark, the brand name and the buttons --brand.
# A colour is a custom property ("--ink"), a literal ("#ffffff") or what a rule declares ("a | color").
TEXT_PAIRS = [
    ("body text", "--ink", WHITE),
    ("muted text", "--muted", WHITE),
    ("links", "a | color", WHITE),
    ("brand name in the header", "header.site .brand | color", WHITE),
    ("error text", ".errorlist | color", WHITE),
    ("body text in a notice", "--ink", ".notice | background"),
    ("muted text in a notice", "--muted", ".notice | background"),
    ("a link in a notice", "a | color", ".notice | background"),
    ("text in an error notice", "--ink", ".notice.error | background"),
    ("a link in an error notice", "a | color", ".notice.error | background"),
    ("muted text on a sold-out tier", "--muted", ".tier.soldout | background"),
    ("primary button", "button.primary | color", "button.primary | background"),
    ("primary button hovered", "button.primary | color", "button.primary:hover | background"),
    ("secondary button", "button.secondary | color", "button.secondary | background"),
    ("danger button", "button.danger | color", "button.danger | background"),
    ("skip link", ".skip:focus | color", ".skip:focus | background"),
]


@pytest.mark.parametrize(("what", "foreground", "background"), TEXT_PAIRS, ids=[p[0] for p in TEXT_PAIRS])
def test_text_meets_aa(what, foreground, background):
    ratio = contrast(SITE.colour(foreground), SITE.colour(background))
    assert ratio >= TEXT, f"{what}: {SITE.colour(foreground)} on {SITE.colour(background)} is {ratio:.2f}:1"


def test_every_rule_that_sets_both_colours_meets_aa_for_text():
    """Badges, notices, buttons: any rule with a colour and a background of its own."""
    checked = []
    for selectors, declarations in SITE.rules:
        background = declarations.get("background") or declarations.get("background-color")
        if "color" not in declarations or not background:
            continue
        foreground, behind = SITE.resolve(declarations["color"]), SITE.resolve(background)
        if foreground and behind:
            checked.append((", ".join(selectors), foreground, behind, contrast(foreground, behind)))
    assert len(checked) >= 6, checked  # badges (4 kinds), buttons, the skip link: the parser found them
    failing = [c for c in checked if c[3] < TEXT]
    assert failing == [], failing


def test_the_parts_of_controls_and_the_progress_bar_stand_out():
    """WCAG 1.4.11: 3:1 for an input's border and for the bar's fill against its track and the page."""
    assert SITE.ui_failures() == []


def test_every_custom_colour_used_as_text_meets_aa_on_white():
    """Each custom property the stylesheet uses as a text colour, on the white page."""
    text_colours = {
        match
        for _selectors, declarations in SITE.rules
        for match in re.findall(r"var\((--[\w-]+)\)", declarations.get("color", ""))
    }
    assert {"--ink", "--muted", "--brand", "--brand-dark", "--bad"} <= text_colours
    for name in sorted(text_colours):
        assert contrast(SITE.var(name), WHITE) >= TEXT, f"{name} {SITE.var(name)} on white"
