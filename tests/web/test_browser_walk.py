"""Issue 12's walk, the whole way through the pages in Debian's Chromium against localstripe.

A creator signs up through the form and opens her account from the e-mailed link, builds a
draft with two tiers in the studio, meets the launch refused for a deadline too far away on
the dashboard's launch form, fixes the deadline and launches. A backer, in a browser context
of his own, signs up the same way and pledges through the checkout with a test card saved by
Stripe.js. The creator's dashboard shows his pledge, the campaign page draws its funding chart;
she posts a backers-only update, which the backer sees and a stranger (a third, anonymous
context) does not, and downloads the backer CSV with his row in it. Last, the stranger picks
Deutsch in the footer and reads the same campaign page in German: lang="de", and no English
string of the catalogue left in what the page shows or reads aloud.

Everything the pages do here happens in the web process (the verification e-mail is sent by
the view, the pledge is confirmed by the card step, the CSV of a small campaign is streamed at
once), so no worker is started. `make screenshots` puts its screenshots in var/screenshots/walk-*.
"""

import csv
import io
import json
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.models import Campaign
from pledges.models import Pledge
from tests.i18n.catalog import VisibleText, english_left, english_patterns
from tests.web.conftest import CARD_SUCCEEDS, PASSWORD, assert_structure, check_page, fill_card, link_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Pocket Atlas"
UPDATE_TITLE = "Proofs are in"
UPDATE_BODY = "The first proofs look great."


def _deadline(days: float) -> str:
    """The studio's deadline field: a datetime-local in UTC."""
    return (timezone.now() + timedelta(days=days)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _sign_up(page, base: str, username: str, name: str) -> None:
    """The sign-up form, the link from the e-mail, then the login form."""
    email = f"{username}@example.com"
    page.goto(base + "/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()

    (message,) = [m for m in mail.outbox if m.to == [email]]
    assert message.subject == "Confirm your e-mail address for Pledgeboard"
    page.goto(link_in(message.body, "/verify/"))
    page.get_by_text(f"{email} is confirmed").wait_for()
    page.get_by_label("Username or e-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name=f"Log out {username}").wait_for()
    check_page(page, f"walk-{name}-logged-in")


def _add_tier(page, title: str, minimum: str, limit: str = "") -> None:
    page.get_by_role("link", name="Add a tier").click()
    page.locator("#id_title").fill(title)
    page.get_by_label("Minimum pledge").fill(minimum)
    page.get_by_label("Limit").fill(limit)
    page.get_by_role("button", name="Save the tier").click()
    page.get_by_text("Tier saved.").wait_for()


def assert_dashboard_shows_pledge(page, *, backer: str, email: str, tier: str, amount: str, backers: int) -> None:
    """The creator's dashboard: the totals and the backer's row in the backers table."""
    assert page.locator("#pledged").inner_text() == amount
    assert page.locator("#backers").inner_text() == str(backers)
    rows = page.locator("#backers-table tbody tr")
    assert rows.count() == backers
    row = rows.filter(has_text=email)
    assert row.locator("td").all_inner_texts()[:5] == [backer, email, tier, amount, "Active"]


def assert_funding_chart(page, *, total: Decimal, chart: str = "funding-chart", data: str = "funding-data") -> None:
    """A page's funding chart: the canvas is drawn from its data, whose running total ends at `total`."""
    assert page.locator(f"#{chart}").get_attribute("role") == "img"
    page.wait_for_function(f"document.querySelector('#{chart}').width > 0")
    numbers = json.loads(page.locator(f"#{data}").text_content())
    assert Decimal(numbers["cumulative"][-1]) == total


def test_a_creator_and_a_backer_walk_through_issue_12(new_person, live_server):
    base = live_server.url
    creator, backer, stranger = new_person(), new_person(), new_person()

    # The creator signs up and builds a draft with two tiers.
    _sign_up(creator, base, "maya", "creator")
    creator.get_by_role("link", name="Creator studio").click()
    creator.get_by_role("link", name="Start a campaign").click()
    creator.locator("#id_title").fill(TITLE)
    creator.get_by_label("Story").fill("Maps of **every** valley, drawn by hand.")
    creator.get_by_label("Goal").fill("200.00")
    creator.get_by_label("Currency").select_option("USD")
    creator.get_by_label("Deadline").fill(_deadline(90))  # the longest campaign is 60 days: refused as typed
    creator.get_by_role("button", name="Save the draft").click()
    creator.get_by_text("The deadline can be at most 60 days from now: a campaign runs at most that long.").wait_for()
    creator.get_by_label("Deadline").fill(_deadline(0.1))  # too soon for a launch (a day at least)
    creator.get_by_role("button", name="Save the draft").click()
    creator.get_by_text("Your draft is saved.").wait_for()
    campaign = Campaign.objects.get(title=TITLE)
    assert campaign.creator.username == "maya"
    _add_tier(creator, "Postcard", "10.00")
    _add_tier(creator, "Framed map", "80.00", "5")
    assert creator.locator("#tiers tbody tr td:first-child").all_inner_texts() == ["Postcard", "Framed map"]

    # The launch is refused for the deadline, and the error is on the launch form.
    creator.get_by_role("button", name="Launch").click()
    refusal = creator.locator("#launch-form").get_by_role("alert")
    refusal.get_by_text("The deadline must be between 1 day and 60 days after launch.").wait_for()
    check_page(creator, "walk-launch-refused")
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT

    creator.get_by_role("link", name="Edit the draft").click()
    creator.get_by_label("Deadline").fill(_deadline(30))
    creator.get_by_role("button", name="Save", exact=True).click()
    creator.get_by_role("button", name="Launch").click()
    creator.get_by_text("Your campaign is live.").wait_for()
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.LIVE

    # A backer signs up in a browser of his own and pledges for the framed map with a test card.
    _sign_up(backer, base, "river", "backer")
    backer.goto(f"{base}/campaigns/{campaign.slug}/")
    backer.get_by_role("link", name="Pledge $80.00 or more (Framed map)").click()
    assert backer.get_by_label("Framed map").is_checked()
    backer.get_by_label("Pledge amount (USD)").fill("85.00")
    check_page(backer, "walk-checkout")
    backer.get_by_role("button", name="Continue to payment").click()
    backer.get_by_role("heading", name="Save your card").wait_for()
    fill_card(backer, CARD_SUCCEEDS)
    backer.get_by_role("button", name="Confirm my pledge").click()
    backer.get_by_role("heading", name=f"You're a backer of {TITLE}!").wait_for()
    check_page(backer, "walk-thanks")
    (pledge,) = Pledge.objects.filter(campaign=campaign)
    assert (pledge.backer.username, pledge.state, pledge.amount) == ("river", Pledge.State.ACTIVE, Decimal("85.00"))

    # The creator's dashboard shows the pledge; the campaign page draws the funding chart.
    creator.reload()
    assert_dashboard_shows_pledge(
        creator, backer="river", email="river@example.com", tier="Framed map", amount="$85.00", backers=1
    )
    assert creator.locator("#percent").inner_text() == "42%"  # 85 of 200, rounded down
    check_page(creator, "walk-dashboard")
    assert_structure(creator)
    assert_funding_chart(creator, total=Decimal("85.00"), chart="daily-chart", data="daily-chart-data")
    creator.get_by_role("link", name="Public page").click()
    assert_funding_chart(creator, total=Decimal("85.00"))
    check_page(creator, "walk-campaign-chart")
    creator.go_back()

    # A backers-only update.
    creator.locator("#id_title").fill(UPDATE_TITLE)
    creator.get_by_label("Update (Markdown)").fill(UPDATE_BODY)
    creator.get_by_label("Backers only").check()
    creator.get_by_role("button", name="Post the update").click()
    creator.get_by_text("Update posted").wait_for()
    assert creator.locator("#update-1 h3").inner_text() == UPDATE_TITLE

    backer.goto(f"{base}/campaigns/{campaign.slug}/")
    update = backer.locator("article", has_text=UPDATE_TITLE)
    assert update.get_by_role("heading", name=UPDATE_TITLE).count() == 1
    assert UPDATE_BODY in update.inner_text()
    assert "for backers" in update.inner_text()
    check_page(backer, "walk-backer-sees-update")

    stranger.goto(f"{base}/campaigns/{campaign.slug}/")
    stranger.get_by_role("heading", name=TITLE, level=1).wait_for()
    assert stranger.get_by_text(UPDATE_TITLE).count() == 0
    assert UPDATE_BODY not in stranger.content()
    check_page(stranger, "walk-stranger-no-update")

    # The same through the API, each with their own session.
    api = f"{base}/api/campaigns/{campaign.pk}/updates/"
    assert UPDATE_TITLE in backer.request.get(api).text()
    assert UPDATE_TITLE not in stranger.request.get(api).text()

    # The backer CSV, downloaded from the dashboard.
    with creator.expect_download() as download_info:
        creator.get_by_role("link", name="CSV backer report").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    header_at = next(i for i, row in enumerate(rows) if row[:1] == ["Backer Number"])
    header, data = rows[header_at], [row for row in rows[header_at + 1 :] if any(row)]
    assert len(data) == 1
    (river,) = [dict(zip(header, row, strict=True)) for row in data]
    assert (river["Email"], river["Reward Title"], river["Currency"]) == ("river@example.com", "Framed map", "USD")
    assert Decimal(river["Pledge Amount"]) == Decimal("85.00")

    # The same campaign page in German, chosen with the footer's switcher.
    stranger.goto(f"{base}/campaigns/{campaign.slug}/")
    stranger.locator("footer").get_by_role("button", name="Deutsch").click()
    stranger.wait_for_load_state()
    if "/language/" in stranger.url:  # a page served without cookies asks once more, with a CSRF token
        stranger.locator("main").get_by_role("button", name="Deutsch").click()
    stranger.wait_for_url(f"{base}/campaigns/{campaign.slug}/")
    assert stranger.locator("html").get_attribute("lang") == "de"
    stranger.get_by_role("heading", name=TITLE, level=1).wait_for()
    assert "85,00\xa0$" in stranger.locator("#pledged").inner_text()
    # Only the site's own words are checked: the story is the creator's ("drawn by hand"), and a
    # time zone's IANA name ("Europe/Berlin", beside a local time) is an identifier, not English.
    site_text = stranger.evaluate(
        "() => { const page = document.documentElement.cloneNode(true);"
        " page.querySelectorAll('.story').forEach((story) => story.remove());"
        " page.querySelectorAll('time[data-local-time]').forEach((time) => {"
        "   time.textContent = time.textContent.replace(/ \\([A-Za-z_]+\\/[A-Za-z_/]+\\)$/, ''); });"
        " return page.outerHTML; }"
    )
    assert english_left(VisibleText.of(site_text), english_patterns()) == []
    check_page(stranger, "walk-campaign-in-german", lang="de")

    for page in (creator, backer, stranger):
        assert page.js_errors == []
