"""Browser fixtures: Playwright driving Debian's Chromium against pytest-django's live server.

Headless, the tests run Debian's `chromium-headless-shell` (the same Chromium build without the
full browser's window machinery, which Playwright itself runs for headless tests): the browser
tests took 187 s of CPU with /usr/bin/chromium and 117 s with it, of a suite bound by its 2
cores. `make test` installs the package when it is missing; a machine without it fails these
tests (pytest.fail), it never skips them. `--headed` (a window, to watch a test) needs the full
browser, Debian's `chromium`.

Playwright's sync API runs an asyncio loop in the test's thread while it is started, and
Django refuses ORM calls from a thread with a running loop. So Playwright is started per
module (not per session, which would leave the loop running for every later test), and
DJANGO_ALLOW_ASYNC_UNSAFE is set only while it runs. The live server answers from threads
of its own, without a loop.
"""

import itertools
import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_HEADLESS = "/usr/bin/chromium-headless-shell"
CHROMIUM_HEADED = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "var" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD = "correct horse battery staple"

# Test cards (see tests/factories.py) as a person types them into the card field.
CARD_SUCCEEDS = "4242424242424242"
CARD_DECLINES_AT_SETUP = "4000000000000002"
CARD_REQUIRES_3DS = "4000002500003155"
CARD_DECLINES_ON_CHARGE = "4000000000000341"


@pytest.fixture(scope="module")
def chromium_browser(pytestconfig):
    headed = bool(pytestconfig.getoption("--headed", default=False))
    executable = CHROMIUM_HEADED if headed else CHROMIUM_HEADLESS
    if not os.access(executable, os.X_OK):
        package = "chromium" if headed else "chromium-headless-shell"
        pytest.fail(f"{executable} is missing: `make test` installs Debian's package (apt-get install {package})")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=executable,
                args=CHROMIUM_ARGS,
                headless=not headed,
                slow_mo=pytestconfig.getoption("--slowmo", default=0) or 0,
            )
            yield browser
            browser.close()


def open_page(browser, **options):
    """A page in a fresh browser context (no cookies): one person; `page.js_errors` collects script errors."""
    context = browser.new_context(viewport=DESKTOP, locale="en-GB", timezone_id="Europe/Berlin", **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    return page


@pytest.fixture
def new_person(chromium_browser, live_server, settings):
    """Opens pages in browser contexts of their own (one a person), all closed after the test."""
    settings.SITE_URL = live_server.url
    pages = []

    def new():
        pages.append(open_page(chromium_browser))
        return pages[-1]

    yield new
    for page in pages:
        page.context.close()


@pytest.fixture
def browser_page(chromium_browser, live_server, settings):
    """A fresh browser context (no cookies) on a page of the live server; e-mail links point at it."""
    settings.SITE_URL = live_server.url
    page = open_page(chromium_browser)
    yield page
    page.context.close()


def shoot(page, name: str) -> None:
    """Screenshots of the page at desktop and phone width under var/screenshots/, when asked for
    (``SCREENSHOTS=1``, as ``make screenshots`` does): two full-page renders of every checked page
    took a fifth of a browser test's time (the page-kinds test: 33.8 s with them, 26.4 s without),
    and nothing asserts on them."""
    if os.environ.get("SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def assert_accessible(page) -> None:
    """axe-core, run in the page, finds no serious or critical violation."""
    results = Axe().run(page)
    bad = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} -> "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{page.url}:\n" + "\n".join(bad)


def heading_levels(page) -> list[int]:
    return page.evaluate("[...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map(h => Number(h.tagName[1]))")


def assert_structure(page) -> None:
    """One h1, first; no heading level skipped on the way down; the landmarks of base.html."""
    levels = heading_levels(page)
    assert levels.count(1) == 1 and levels[0] == 1, f"{page.url}: headings {levels}"
    skipped = [(above, below) for above, below in itertools.pairwise(levels) if below > above + 1]
    assert skipped == [], f"{page.url}: headings {levels} skip a level at {skipped}"
    assert page.get_by_role("banner").count() == 1
    assert page.get_by_role("navigation", name="Main").count() == 1
    assert page.get_by_role("main").count() == 1
    assert page.get_by_role("contentinfo").count() == 1


def assert_skip_link_works(page, *, reload: bool = True) -> None:
    """The page loaded afresh: Tab once reaches "Skip to content", shown on screen; Enter moves focus to main.
    ``reload=False`` for a page just loaded that nothing has touched yet (no second load)."""
    if reload:
        page.goto(page.url.split("#")[0])
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.textContent, document.activeElement.getAttribute('href')]")
    assert focused == ["Skip to content", "#main"], f"{page.url}: Tab reached {focused}"
    box = page.get_by_role("link", name="Skip to content").bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0 and box["width"] > 0, f"{page.url}: skip link not on screen: {box}"
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'main'")
    assert page.evaluate("document.activeElement.tagName") == "MAIN"


def check_page(page, name: str, *, lang: str = "en") -> None:
    """Every main page: its <html lang>, a viewport meta, no script error, accessible, screenshotted."""
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator('meta[name="viewport"]').count() == 1
    assert page.js_errors == []
    assert_accessible(page)
    shoot(page, name)


def fill_card(page, number: str) -> None:
    """The card field of Stripe.js (localstripe's shim here: plain inputs named by placeholder)."""
    card = page.locator("#card-element")
    card.locator('input[placeholder="number"]').fill(number)
    card.locator('input[placeholder="exp_month"]').fill("12")
    card.locator('input[placeholder="exp_year"]').fill("34")
    card.locator('input[placeholder="cvc"]').fill("123")
    card.locator('input[placeholder="postal_code"]').fill("10115")


def log_in(page, base: str, username: str, next_path: str) -> None:
    """Sign in through the login form (PASSWORD) and wait for the page it sends on to."""
    page.goto(f"{base}/login/?next={next_path}")
    page.get_by_label("Username or e-mail").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}{next_path}")


def link_in(text: str, path_fragment: str) -> str:
    match = re.search(r"https?://\S*" + re.escape(path_fragment) + r"\S*", text)
    assert match, f"no link with {path_fragment!r} in:\n{text}"
    return match.group(0)
