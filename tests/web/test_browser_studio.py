"""A creator's path through the studio in Debian's Chromium, against the real localstripe.

Log in, create a draft with two tiers (a deadline too far away refused as typed), meet the
launch refused for a deadline too soon, fix it and launch, see a backer's pledge on the
dashboard, post a backers-only update.
"""

from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from tests import factories
from tests.web.conftest import PASSWORD, check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _local(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _add_tier(page, title: str, minimum: str, limit: str = "") -> None:
    page.get_by_role("link", name="Add a tier").click()
    check_page(page, "studio-tier")
    page.locator("#id_title").fill(title)
    page.get_by_label("Minimum pledge").fill(minimum)
    page.get_by_label("Limit").fill(limit)
    page.get_by_role("button", name="Save the tier").click()
    page.get_by_text("Tier saved.").wait_for()


def test_a_creator_builds_launches_and_follows_a_campaign(browser_page, live_server):
    page, base = browser_page, live_server.url
    factories.UserFactory(username="maya", email="maya@example.com", password=PASSWORD)

    page.goto(base + "/login/?next=/studio/")
    page.get_by_label("Username or e-mail").fill("maya")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Creator studio").wait_for()
    check_page(page, "studio-home")

    # A deadline beyond the longest campaign (60 days) is refused as it is typed; one too soon for
    # a launch (a day at least) is saved, and the launch says why it cannot go.
    page.get_by_role("link", name="Start a campaign").click()
    check_page(page, "studio-new")
    page.locator("#id_title").fill("Pocket Atlas")
    page.get_by_label("Story").fill("Maps of **every** valley.")
    page.get_by_label("Goal").fill("200.00")
    page.get_by_label("Currency").select_option("USD")
    page.get_by_label("Deadline").fill(_local(timezone.now() + timedelta(days=90)))
    page.get_by_role("button", name="Save the draft").click()
    page.get_by_text("The deadline can be at most 60 days from now: a campaign runs at most that long.").wait_for()
    page.get_by_label("Deadline").fill(_local(timezone.now() + timedelta(hours=2)))
    page.get_by_role("button", name="Save the draft").click()
    page.get_by_text("Your draft is saved.").wait_for()
    campaign = Campaign.objects.get(title="Pocket Atlas")
    assert page.url == f"{base}/studio/{campaign.slug}/"
    assert page.locator("#story-preview strong").inner_text() == "every"

    _add_tier(page, "Postcard", "10.00")
    _add_tier(page, "Framed map", "80.00", "5")
    assert page.locator("#tiers tbody tr td:first-child").all_inner_texts() == ["Postcard", "Framed map"]

    page.get_by_role("button", name="Launch").click()
    page.get_by_role("alert").get_by_text("The deadline must be between 1 day and 60 days after launch.").wait_for()
    check_page(page, "studio-launch-refused")
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT

    page.get_by_role("link", name="Edit the draft").click()
    page.get_by_label("Deadline").fill(_local(timezone.now() + timedelta(days=30)))
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("button", name="Launch").click()
    page.get_by_text("Your campaign is live.").wait_for()
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.LIVE

    # A backer pledges for the framed map with a card that works.
    framed = campaign.rewards.get(title="Framed map")
    river = factories.UserFactory(username="river", email="river@example.com")
    factories.PledgeFactory(campaign=campaign, backer=river, amount=Decimal("85.00"), reward=framed)

    page.reload()
    assert page.locator("#pledged").inner_text() == "$85.00"
    assert page.locator("#percent").inner_text() == "42%"  # 85 of 200, rounded down
    assert page.locator("#backers").inner_text() == "1"
    assert page.locator(f"#tier-{framed.pk} .sales").inner_text() == "1 / 5"
    row = page.locator("#backers-table tbody tr").first
    assert row.locator("td").all_inner_texts()[:5] == ["river", "river@example.com", "Framed map", "$85.00", "Active"]
    check_page(page, "studio-dashboard")

    page.locator("#id_title").fill("Proofs are in")
    page.get_by_label("Update (Markdown)").fill("The first proofs look *great*.")
    page.get_by_label("Backers only").check()
    page.get_by_role("button", name="Post the update").click()
    page.get_by_text("Update posted").wait_for()
    assert page.locator("#update-1 h3").inner_text() == "Proofs are in"
    assert campaign.updates.get().audience == "backers"
