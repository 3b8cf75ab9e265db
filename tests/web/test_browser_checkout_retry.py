"""A checkout without dead ends, in Debian's Chromium against the real localstripe (issue 21).

A declined card, then a failed 3-D Secure check, then a card that works complete the same
pledge on the same card step (one pledge, its tier claimed once); a lapsed hold explains itself
and starts again with the same choice; on a phone the "Back this campaign" button stays in
reach while the story scrolls. Each page is checked with axe-core.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from pledges.models import Pledge
from rewards.models import RewardTier
from tests import factories
from tests.web.conftest import (
    CARD_DECLINES_AT_SETUP,
    CARD_REQUIRES_3DS,
    CARD_SUCCEEDS,
    PASSWORD,
    PHONE,
    assert_accessible,
    check_page,
    fill_card,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Field Notebook"


@pytest.fixture
def campaign():
    return factories.LiveCampaignFactory(
        title=TITLE,
        goal=Decimal("100.00"),
        description="\n\n".join(f"Paragraph {n}: paper that takes watercolour, " * 6 for n in range(30)),
        rewards=[{"title": "Sketchbook", "minimum": Decimal("25.00"), "shipping": Decimal("5.00"), "limit": 3}],
    )


def _log_in(page, base: str) -> None:
    factories.UserFactory(username="river", email="river@example.com", password=PASSWORD)
    page.goto(base + "/login/")
    page.get_by_label("Username or e-mail").fill("river")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="My pledges").wait_for()


def _to_the_card_step(page, base: str, campaign) -> Pledge:
    page.goto(f"{base}/campaigns/{campaign.slug}/")
    page.get_by_role("link", name="Pledge $25.00 or more (Sketchbook)").click()
    # Loaded, so checkout.js listens before the country is chosen (a click waits for less).
    page.wait_for_url(f"**/campaigns/{campaign.slug}/pledge/**")
    page.get_by_label("Ship to").select_option("DE")  # the amount follows: minimum plus shipping
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("heading", name="Save your card").wait_for()
    return Pledge.objects.get(backer__username="river", campaign=campaign, state=Pledge.State.PENDING)


def _try_card(page, number: str) -> None:
    fill_card(page, number)
    page.get_by_role("button", name="Confirm my pledge").click()


def test_a_declined_card_then_a_good_card_completes_the_same_pledge(browser_page, live_server, campaign):
    page, base = browser_page, live_server.url
    _log_in(page, base)
    pledge = _to_the_card_step(page, base, campaign)
    card_step = page.url
    assert page.locator("#hold-notice").inner_text().startswith("We hold your reward for")

    _try_card(page, CARD_DECLINES_AT_SETUP)
    page.get_by_text("Your card was declined").wait_for()
    assert page.url == card_step  # the same page, not step 1
    assert page.get_by_role("heading", name="Save your card").count() == 1
    assert page.get_by_text("your pledge still waits for a card that works").count() == 1
    check_page(page, "card-declined-kept")

    _try_card(page, CARD_REQUIRES_3DS)
    page.get_by_role("button", name="Fail authentication").click()
    page.get_by_text("Your bank did not confirm this card").wait_for()
    assert page.url == card_step
    check_page(page, "card-3ds-failed-kept")

    _try_card(page, CARD_SUCCEEDS)
    page.get_by_role("heading", name=f"You're a backer of {TITLE}!").wait_for()

    assert list(Pledge.objects.filter(campaign=campaign).values_list("pk", "state", "amount")) == [
        (pledge.pk, Pledge.State.ACTIVE, Decimal("30.00"))
    ]
    assert RewardTier.objects.get(campaign=campaign).claimed == 1
    campaign.refresh_from_db()
    assert (campaign.pledged, campaign.backers_count) == (Decimal("30.00"), 1)


def test_a_lapsed_hold_explains_itself_and_starts_again(browser_page, live_server, campaign):
    page, base = browser_page, live_server.url
    _log_in(page, base)
    pledge = _to_the_card_step(page, base, campaign)
    Pledge.objects.filter(pk=pledge.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    page.reload()
    page.get_by_role("heading", name="Your hold lapsed").wait_for()
    assert "Nothing was charged." in page.locator("#hold-lapsed").inner_text()
    check_page(page, "hold-lapsed")
    assert RewardTier.objects.get(campaign=campaign).claimed == 0

    page.get_by_role("link", name="Start again").click()
    page.get_by_role("heading", name="Back this campaign").wait_for()
    assert page.get_by_label("Pledge amount (USD)").input_value() == "30.00"
    assert page.get_by_label("Sketchbook").is_checked()
    assert page.get_by_label("Ship to").input_value() == "DE"  # where the lapsed pledge was going
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("heading", name="Save your card").wait_for()
    assert Pledge.objects.get(campaign=campaign, state=Pledge.State.PENDING).pk != pledge.pk


def test_on_a_phone_the_back_button_stays_in_reach(browser_page, live_server, campaign):
    page, base = browser_page, live_server.url
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/campaigns/{campaign.slug}/")
    button = page.get_by_role("link", name="Back this campaign")

    for scrolled in (0, 1500, 100_000):  # the top, inside the story, the bottom
        page.evaluate(f"window.scrollTo(0, {scrolled})")
        box = button.bounding_box()
        assert box is not None
        assert PHONE["height"] - 100 <= box["y"] and box["y"] + box["height"] <= PHONE["height"], (scrolled, box)
        assert box["width"] >= PHONE["width"] - 40  # a wide target for a thumb
    assert page.evaluate("document.documentElement.scrollHeight") > 3 * PHONE["height"]  # the story is long
    # At the bottom the footer is not hidden behind the bar.
    footer = page.get_by_role("contentinfo").bounding_box()
    assert footer is not None and footer["y"] + footer["height"] <= button.bounding_box()["y"] + 1
    assert_accessible(page)

    button.click()
    page.get_by_role("button", name="Log in").wait_for()  # checkout asks an anonymous visitor to log in
