"""The studio's newer parts in Debian's Chromium: a picture uploaded and shown, the story
previewed, the daily chart drawn from our own scripts under the CSP, and the collection
progress updating by itself after a real close until collection has finished."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image

from campaigns.models import Campaign
from closing.services import campaign_close
from closing.services.collection import pledge_collect, pledges_drop_errored
from tests import factories
from tests.conftest import purge_queues
from tests.web.conftest import PASSWORD, check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, base: str, next_path: str) -> None:
    page.goto(f"{base}/login/?next={next_path}")
    page.get_by_label("Username or e-mail").fill("maya")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_creator_adds_a_picture_previews_the_story_and_reads_the_chart(
    browser_page, live_server, stored_media, tmp_path
):
    page, base = browser_page, live_server.url
    maya = factories.UserFactory(username="maya", email="maya@example.com", password=PASSWORD)
    campaign = factories.LiveCampaignFactory(creator=maya, title="Field Notebook", goal=Decimal("100.00"))
    factories.PledgeFactory(campaign=campaign, amount="40.00")
    factories.PledgeFactory(campaign=campaign, amount="12.50")
    picture = tmp_path / "cover.png"
    Image.new("RGB", (320, 180), (30, 120, 200)).save(picture)

    _log_in(page, base, f"/studio/{campaign.slug}/edit/")
    page.get_by_label("Story").fill("# Why\n\nA *notebook* for the field.")
    page.get_by_role("button", name="Preview the story").click()
    page.get_by_role("heading", name="Preview (not saved yet)").wait_for()
    assert page.locator("#story-preview h3").inner_text() == "Why"
    assert page.locator("#story-preview em").inner_text() == "notebook"
    check_page(page, "studio-story-preview")

    page.locator("#id_image").set_input_files(str(picture))
    page.get_by_label("Image description").fill("A blue notebook")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Saved.").wait_for()
    campaign.refresh_from_db()
    assert campaign.description.startswith("# Why") and campaign.image

    image = page.locator("#campaign-image")
    assert image.get_attribute("alt") == "A blue notebook"
    # Loaded from object storage after the page: wait for it, then read its size.
    image.evaluate("img => img.decode()")
    assert image.evaluate("img => img.complete && img.naturalWidth") == 320
    # The chart: drawn by Chart.js from the JSON (no inline script), beside its table.
    page.wait_for_function("() => window.Chart && window.Chart.getChart('daily-chart')")
    datasets = page.evaluate("() => window.Chart.getChart('daily-chart').data.datasets.map(d => d.label)")
    assert datasets == [
        "Pledged that day (USD)",
        "Running total (USD)",
        "Projection (USD)",
        "Goal (USD)",
    ]
    page.get_by_text("The chart's numbers as a table").click()
    assert page.locator("#daily-table tbody tr td").all_inner_texts()[-1] == "$52.50"
    check_page(page, "studio-dashboard-chart")

    page.goto(f"{base}/campaigns/{campaign.slug}/")
    assert page.locator("#campaign-image").evaluate("img => img.decode().then(() => img.naturalWidth)") == 320
    assert page.locator("h1").count() == 1
    check_page(page, "campaign-with-image")


def test_the_collection_progress_updates_by_itself_until_it_is_done(browser_page, live_server, settings, monkeypatch):
    from web import views_studio

    monkeypatch.setattr(views_studio, "COLLECTION_POLL_SECONDS", 1)
    page, base = browser_page, live_server.url
    maya = factories.UserFactory(username="maya", email="maya@example.com", password=PASSWORD)
    campaign = factories.LiveCampaignFactory(creator=maya, title="Field Notebook", goal=Decimal("50.00"))
    pledges = [
        factories.PledgeFactory(campaign=campaign, amount="30.00"),
        factories.PledgeFactory(campaign=campaign, amount="25.00"),
        factories.PledgeFactory(campaign=campaign, amount="20.00", card=factories.CARD_DECLINES_ON_CHARGE),
    ]
    Campaign.objects.filter(pk=campaign.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    try:
        assert campaign_close(campaign_id=campaign.pk).state == Campaign.State.SUCCESSFUL

        _log_in(page, base, f"/studio/{campaign.slug}/")
        page.get_by_role("heading", name="Collection").wait_for()
        assert page.locator("#waiting-count").inner_text() == "3"
        check_page(page, "studio-collection")

        for pledge in pledges:  # what the collection worker does, one pledge at a time
            pledge_collect(pledge_id=pledge.pk)
        # The page polls every second: a poll may land between two of the charges above.
        page.locator("#errored-count", has_text="1").wait_for()
        assert page.locator("#collected-count").inner_text() == "2"
        assert page.locator("#collected-amount").inner_text() == "$55.00"
        assert page.locator("#collection-progress").get_attribute("data-poll-url")

        pledges_drop_errored(now=timezone.now() + settings.ERRORED_PLEDGE_GRACE + timedelta(seconds=1))
        page.get_by_text("Collection has finished.").wait_for()
        assert page.locator("#dropped-count").inner_text() == "1"

        asked = []
        page.on("request", lambda request: asked.append(request.url) if "/collection/" in request.url else None)
        page.wait_for_timeout(2500)
        assert asked == []  # polling stopped
        assert page.js_errors == []
    finally:
        purge_queues()  # the close queued collect_campaign and e-mails; no worker runs here
