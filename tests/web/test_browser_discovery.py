"""Discovery in Debian's Chromium: a visitor searches from the header ("amanda palmr", a typo),
narrows the results to a category, opens a card and lands on the campaign page, which shows
its video player (allowed by the CSP: no violation), FAQ and share links. Each page: axe-core
finds nothing serious or critical, one h1, no skipped heading level, the skip link works."""

from decimal import Decimal

import pytest

from accounts.services import profile_set_display_name
from campaigns.models import Category
from campaigns.services import campaign_set_faq, campaign_update, categories_install
from demo.services import DESCRIPTION, TITLE
from tests import factories
from tests.web.conftest import assert_skip_link_works, assert_structure, check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shelf(live_server):
    categories_install()  # a transactional test starts from a flushed database
    amanda = factories.UserFactory(username="amanda")
    profile_set_display_name(user=amanda, display_name="Amanda Palmer")
    palmer = factories.LiveCampaignFactory(
        creator=amanda,
        title=TITLE,
        description=DESCRIPTION,
        goal=Decimal("100000"),
        rewards=[{"title": "Signed vinyl", "minimum": Decimal("25.00"), "limit": 10}],
    )
    campaign_update(
        campaign=palmer,
        category=Category.objects.get(slug="albums"),
        blurb="A record, an art book and a tour.",
        video_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    )
    campaign_set_faq(campaign=palmer, entries=[("When does the vinyl ship?", "In the autumn.")])
    # Another campaign whose creator is also a Palmer, in another category.
    other = factories.UserFactory(username="jo")
    profile_set_display_name(user=other, display_name="Jo Palmer")
    jo = factories.LiveCampaignFactory(creator=other, title="Palm reading cards")
    campaign_update(campaign=jo, category=Category.objects.get(slug="tabletop-games"))
    return palmer


def _check(page, name: str) -> None:
    check_page(page, f"discovery-{name}")
    assert_structure(page)
    assert_skip_link_works(page)


def test_search_from_the_header_filter_by_category_open_a_card(browser_page, live_server, shelf):
    page = browser_page
    csp_violations: list[str] = []
    page.on(
        "console", lambda message: csp_violations.append(message.text) if "Content Security" in message.text else None
    )
    page.goto(live_server.url + "/")
    _check(page, "home")

    page.get_by_role("searchbox", name="Search campaigns").fill("amanda palmr")
    page.get_by_role("searchbox", name="Search campaigns").press("Enter")
    page.get_by_role("heading", name="Results for “amanda palmr”").wait_for()
    page.get_by_text("1 campaign found").wait_for()
    _check(page, "results")

    page.get_by_role("searchbox", name="Search", exact=True).fill("Palmer")
    page.get_by_role("button", name="Apply").click()
    page.get_by_text("2 campaigns found").wait_for()
    page.get_by_label("Category").select_option(label="Music")
    page.get_by_role("button", name="Apply").click()
    page.get_by_text("1 campaign found").wait_for()
    assert page.get_by_role("heading", name="Palm reading cards").count() == 0
    _check(page, "filtered")

    page.get_by_role("link", name=TITLE).click()
    page.get_by_role("heading", name=TITLE, level=1).wait_for()
    assert page.url == live_server.url + f"/campaigns/{shelf.slug}/?ref=search"  # counted as found by search
    player = page.locator("#campaign-video iframe")
    assert player.get_attribute("src") == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    page.get_by_text("When does the vinyl ship?").wait_for()
    page.get_by_role("link", name="E-mail").wait_for()
    assert page.locator('meta[property="og:title"]').get_attribute("content") == TITLE
    _check(page, "campaign")
    assert csp_violations == []

    page.get_by_role("link", name="Amanda Palmer").click()
    page.get_by_role("heading", name="Amanda Palmer", level=1).wait_for()
    _check(page, "profile")
