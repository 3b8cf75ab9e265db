"""A backer's whole path through the site in Debian's Chromium, against the real localstripe.

Sign up, verify the address from the e-mail, log in, pledge with a card (Stripe.js), see the
campaign's new total and stock, meet a declined card and 3-D Secure, change the pledge, see
it collected after the close; and fix an errored pledge from the page the e-mail links to.
Each main page is checked with axe-core and screenshotted at desktop and phone width.
"""

from decimal import Decimal

import pytest
from django.core import mail

from campaigns.models import Campaign
from closing.services import campaign_close_now, collection
from notifications.services import notifications_send
from pledges.models import Pledge
from tests import factories
from tests.web.conftest import (
    CARD_DECLINES_AT_SETUP,
    CARD_DECLINES_ON_CHARGE,
    CARD_REQUIRES_3DS,
    CARD_SUCCEEDS,
    PASSWORD,
    check_page,
    fill_card,
    link_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Maya's Field Notebook & Sketchbook"


def _campaigns():
    creator = factories.UserFactory(username="maya")
    notebook = factories.LiveCampaignFactory(
        creator=creator,
        title=TITLE,
        goal=Decimal("40.00"),
        description="A notebook for field sketches.\nPaper that takes watercolour.",
        rewards=[
            {"title": "Sketchbook", "minimum": Decimal("25.00"), "shipping": Decimal("5.00"), "limit": 3},
            {"title": "Thank-you card", "minimum": Decimal("5.00")},
        ],
    )
    atlas = factories.LiveCampaignFactory(creator=creator, title="Pocket Atlas", goal=Decimal("1000.00"))
    return notebook, atlas


def _sign_up_and_log_in(page, base: str) -> None:
    page.goto(base + "/")
    page.get_by_role("link", name="Sign up").click()
    check_page(page, "register")
    page.get_by_label("Username").fill("sketcher")
    page.get_by_label("E-mail address").fill("sketcher@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    check_page(page, "register-done")

    (message,) = mail.outbox
    assert message.to == ["sketcher@example.com"]
    assert message.subject == "Confirm your e-mail address for Pledgeboard"
    page.goto(link_in(message.body, "/verify/"))
    page.get_by_text("sketcher@example.com is confirmed").wait_for()
    check_page(page, "login")

    page.get_by_label("Username or e-mail").fill("sketcher@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="My pledges").wait_for()


def _pledge_through_the_card_step(page, card_number: str) -> None:
    """On the checkout page: continue to the card step and confirm with this card."""
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("heading", name="Save your card").wait_for()
    fill_card(page, card_number)
    page.get_by_role("button", name="Confirm my pledge").click()


def test_a_backer_signs_up_pledges_changes_and_sees_the_pledge_collected(browser_page, live_server):
    page, base = browser_page, live_server.url
    notebook, atlas = _campaigns()

    page.goto(base + "/")
    check_page(page, "campaign-list")
    assert page.locator("#all-campaigns").get_by_role("link", name=TITLE).count() == 1

    _sign_up_and_log_in(page, base)
    check_page(page, "my-pledges-empty")

    # Pledge to the limited, shipped tier with a card that works.
    page.goto(f"{base}/campaigns/{notebook.slug}/")
    page.get_by_role("link", name="Pledge $25.00 or more (Sketchbook)").click()
    # Loaded, so checkout.js listens before the country is chosen (a click waits for less).
    page.wait_for_url(f"**/campaigns/{notebook.slug}/pledge/**")
    assert page.get_by_label("Sketchbook").is_checked()
    page.get_by_label("Ship to").select_option("DE")  # the amount follows: minimum plus shipping
    assert page.get_by_label("Pledge amount (USD)").input_value() == "30.00"
    check_page(page, "checkout")
    page.get_by_role("button", name="Continue to payment").dblclick()  # a double click pledges once
    page.get_by_role("heading", name="Save your card").wait_for()
    check_page(page, "card-step")
    fill_card(page, CARD_SUCCEEDS)
    page.get_by_role("button", name="Confirm my pledge").dblclick()
    page.get_by_role("heading", name=f"You're a backer of {TITLE}!").wait_for()
    check_page(page, "thanks")

    (pledge,) = Pledge.objects.filter(backer__username="sketcher", campaign=notebook)
    assert (pledge.state, pledge.amount, pledge.reward.title) == (Pledge.State.ACTIVE, Decimal("30.00"), "Sketchbook")

    # The campaign page shows the new total, the backer and the stock left.
    page.goto(f"{base}/campaigns/{notebook.slug}/")
    assert page.locator("#pledged").inner_text() == "$30.00"
    assert page.locator("#percent").inner_text() == "75%"
    assert page.locator("#backers").inner_text() == "1"
    assert page.get_by_text("2 left of 3").count() == 1
    page.wait_for_function("document.querySelector('#funding-chart').width > 0")
    assert page.locator("time[data-local-time]").inner_text().endswith("(Europe/Berlin)")  # the reader's zone
    check_page(page, "campaign")

    # Another campaign: a card declined while being saved keeps the pledge on the card step.
    page.goto(f"{base}/campaigns/{atlas.slug}/pledge/")
    page.get_by_label("Pledge amount (USD)").fill("10.00")
    _pledge_through_the_card_step(page, CARD_DECLINES_AT_SETUP)
    page.get_by_text("Your card was declined").wait_for()
    check_page(page, "card-declined")
    assert page.get_by_role("heading", name="Save your card").count() == 1
    assert list(Pledge.objects.filter(campaign=atlas).values_list("state", flat=True)) == [Pledge.State.PENDING]

    # A card that needs 3-D Secure: the page says so, the bank's window opens; failing it is explained.
    fill_card(page, CARD_REQUIRES_3DS)
    page.get_by_role("button", name="Confirm my pledge").click()
    page.get_by_text("3-D Secure").wait_for()
    page.get_by_role("button", name="Fail authentication").click()
    page.get_by_text("Your bank did not confirm this card").wait_for()
    check_page(page, "card-3ds-failed")

    # Completing the bank's check saves the card: the same pledge, now active.
    fill_card(page, CARD_REQUIRES_3DS)
    page.get_by_role("button", name="Confirm my pledge").click()
    page.get_by_role("button", name="Complete authentication").click()
    page.get_by_role("heading", name="You're a backer of Pocket Atlas!").wait_for()
    atlas.refresh_from_db()
    assert (atlas.pledged, atlas.backers_count) == (Decimal("10.00"), 1)
    assert list(Pledge.objects.filter(campaign=atlas).values_list("state", flat=True)) == [Pledge.State.ACTIVE]

    page.goto(base + "/me/settings/")
    check_page(page, "email-settings")
    page.goto(base + "/password-reset/")
    check_page(page, "password-reset")
    page.goto(base + "/me/pledges/")
    assert page.locator("article.pledge").count() == 2  # the failed card steps made no other pledge
    page.get_by_role("link", name="Pocket Atlas", exact=True).click()
    page.get_by_role("link", name="Cancel this pledge").click()
    check_page(page, "cancel")

    # Change the first pledge: more money, same reward.
    page.goto(base + "/me/pledges/")
    check_page(page, "my-pledges")
    page.get_by_role("link", name=TITLE, exact=True).click()
    page.get_by_label("Pledge amount (USD)").fill("45.00")
    page.get_by_role("button", name="Save the change").click()
    page.get_by_text("Your pledge is changed.").wait_for()
    check_page(page, "pledge-detail")
    notebook.refresh_from_db()
    assert (notebook.pledged, notebook.backers_count) == (Decimal("45.00"), 1)

    # The campaign closes (goal 40 met) and the pledge is collected.
    closed = campaign_close_now(campaign_id=notebook.pk)
    assert closed.state == Campaign.State.SUCCESSFUL
    for pledge_id in Pledge.objects.filter(campaign=notebook, state=Pledge.State.ACTIVE).values_list("pk", flat=True):
        collection.pledge_collect(pledge_id=pledge_id)

    page.goto(base + "/me/pledges/")
    card = page.locator("article.pledge", has_text=TITLE)
    assert card.locator(".badge.collected").inner_text() == "Collected"
    card.get_by_role("link", name="Receipt").click()
    page.get_by_role("heading", name="Receipt").wait_for()
    assert page.locator("td[data-total]").inner_text() == "$45.00"
    # The breakdown: the reward, its shipping, what was given on top.
    assert page.locator("tbody td.amount").all_inner_texts() == ["$25.00", "$5.00", "$15.00"]
    check_page(page, "receipt")


def test_an_errored_pledge_is_fixed_from_the_page_the_email_links_to(browser_page, live_server):
    page = browser_page
    notebook, _atlas = _campaigns()
    backer = factories.UserFactory(username="river", email="river@example.com", password=PASSWORD)
    pledge = factories.PledgeFactory(
        campaign=notebook, backer=backer, amount=Decimal("50.00"), card=CARD_DECLINES_ON_CHARGE
    )
    campaign_close_now(campaign_id=notebook.pk)
    collection.pledge_collect(pledge_id=pledge.pk)
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.ERRORED

    mail.outbox.clear()
    notifications_send()
    to_river = {m.subject: m for m in mail.outbox if m.to == ["river@example.com"]}
    assert set(to_river) == {f"You're a backer of {TITLE}", f"Your payment for {TITLE} didn't go through"}
    message = to_river[f"Your payment for {TITLE} didn't go through"]
    fix_url = link_in(message.body, f"/me/pledges/{pledge.pk}/payment-method/")
    html = message.alternatives[0][0]
    assert f'<a href="{fix_url}"' in html

    # Not logged in: the link asks to log in, then comes back to the page.
    page.goto(fix_url)
    page.get_by_text("Log in to see that page").wait_for()
    page.get_by_label("Username or e-mail").fill("river")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Update your payment").wait_for()
    assert page.url == fix_url
    check_page(page, "payment-method")

    # A card that saves but declines when charged: told so, the pledge stays errored.
    fill_card(page, CARD_DECLINES_ON_CHARGE)
    page.get_by_role("button", name="Save the card and pay").click()
    page.get_by_text("could not be charged").wait_for()
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.ERRORED

    fill_card(page, CARD_SUCCEEDS)
    page.get_by_role("button", name="Save the card and pay").click()
    page.get_by_text("Thank you! Your new card was charged $50.00.").wait_for()
    pledge.refresh_from_db()
    assert pledge.state == Pledge.State.COLLECTED
    assert page.locator(".badge").first.inner_text() == "Collected"


def test_the_site_has_its_own_404_page(browser_page, live_server):
    page = browser_page
    response = page.goto(live_server.url + "/campaigns/no-such-thing/")
    assert response.status == 404
    page.get_by_role("heading", name="This page does not exist").wait_for()
    check_page(page, "not-found")
    favicon = page.request.get(live_server.url + "/static/web/favicon.svg")
    assert favicon.status == 200
