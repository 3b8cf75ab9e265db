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


def _without_comments(text: str) -> str:
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def _rules() -> list[tuple[list[str], dict[str, str]]]:
    """Every innermost `selectors { declarations }` block (a media query's rules included)."""
    rules = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", _without_comments(CSS.read_text())):
        selectors = re.sub(r"^.*@media[^{]*", "", selectors)  # "@media (...) { .layout" -> ".layout"
        declarations = {}
        for declaration in body.split(";"):
            if ":" in declaration:
                name, value = declaration.split(":", 1)
                declarations[name.strip()] = value.strip()
        rules.append(([s.strip() for s in selectors.split(",")], declarations))
    return rules


def _custom_properties() -> dict[str, str]:
    (root,) = [declarations for selectors, declarations in _rules() if selectors == [":root"]]
    return {name: value for name, value in root.items() if name.startswith("--")}


def resolve(value: str) -> str | None:
    """A colour as #rrggbb: `var(--brand)` or a hex literal, the first in a shorthand; None if neither."""
    properties = _custom_properties()
    match = re.search(r"var\((--[\w-]+)\)|(#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b)", value)
    if not match:
        return None
    colour = properties[match.group(1)] if match.group(1) else match.group(2)
    return colour.lower()


def declared(selector: str, prop: str) -> str:
    """The colour a rule of the stylesheet gives `selector` for `prop` (the last such rule wins)."""
    found = [d[prop] for selectors, d in _rules() if selector in selectors and prop in d]
    assert found, f"no rule gives {selector} a {prop}"
    colour = resolve(found[-1])
    assert colour, f"{selector} {prop}: {found[-1]!r} is not a colour this test reads"
    return colour


def var(name: str) -> str:
    return resolve(f"var({name})")


def test_the_formula_matches_wcags_reference_values():
    assert contrast("#000", "#fff") == pytest.approx(21.0)
    assert contrast("#fff", "#fff") == pytest.approx(1.0)
    assert contrast("#767676", "#fff") == pytest.approx(4.54, abs=0.005)  # the lightest grey passing AA on white
    assert contrast("#777777", "#fff") < TEXT


def test_the_old_brand_green_would_fail():
    """The green of issue 12 (#2ecc71, about 2.1:1 on white) is caught by the same check."""
    assert contrast("#2ecc71", WHITE) < UI


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


def colour(spec: str) -> str:
    if spec.startswith("--"):
        return var(spec)
    if spec.startswith("#"):
        return spec
    selector, prop = (part.strip() for part in spec.split("|"))
    return declared(selector, prop)


@pytest.mark.parametrize(("what", "foreground", "background"), TEXT_PAIRS, ids=[p[0] for p in TEXT_PAIRS])
def test_text_meets_aa(what, foreground, background):
    ratio = contrast(colour(foreground), colour(background))
    assert ratio >= TEXT, f"{what}: {colour(foreground)} on {colour(background)} is {ratio:.2f}:1"


def test_every_rule_that_sets_both_colours_meets_aa_for_text():
    """Badges, notices, buttons: any rule with a colour and a background of its own."""
    checked = []
    for selectors, declarations in _rules():
        background = declarations.get("background") or declarations.get("background-color")
        if "color" not in declarations or not background:
            continue
        foreground, behind = resolve(declarations["color"]), resolve(background)
        if foreground and behind:
            checked.append((", ".join(selectors), foreground, behind, contrast(foreground, behind)))
    assert len(checked) >= 6, checked  # badges (4 kinds), buttons, the skip link: the parser found them
    failing = [c for c in checked if c[3] < TEXT]
    assert failing == [], failing


def test_the_parts_of_controls_and_the_progress_bar_stand_out():
    """WCAG 1.4.11: 3:1 for an input's border and for the bar's fill against its track and the page."""
    input_border = re.search(r"#[0-9a-fA-F]{3,6}", _border("input[type=text]")).group(0)
    assert contrast(input_border, WHITE) >= UI
    bar_fill, bar_track = declared(".bar span", "background"), declared(".bar", "background")
    assert contrast(bar_fill, bar_track) >= UI
    assert contrast(bar_fill, WHITE) >= UI
    assert contrast(declared(":focus-visible", "outline"), WHITE) >= UI


def _border(selector: str) -> str:
    (border,) = [d["border"] for selectors, d in _rules() if selector in selectors and "border" in d]
    return border


def test_every_custom_colour_used_as_text_meets_aa_on_white():
    """Each custom property the stylesheet uses as a text colour, on the white page."""
    text_colours = {
        match
        for _selectors, declarations in _rules()
        for match in re.findall(r"var\((--[\w-]+)\)", declarations.get("color", ""))
    }
    assert {"--ink", "--muted", "--brand", "--brand-dark", "--bad"} <= text_colours
    for name in sorted(text_colours):
        assert contrast(var(name), WHITE) >= TEXT, f"{name} {var(name)} on white"
