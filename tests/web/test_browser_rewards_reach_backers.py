"""Rewards reach backers, in Debian's Chromium against the real localstripe (issue 21, "Done when").

A creator sets a physical tier's shipping rules (the EU and the US, nowhere else) and an add-on
in the studio and launches; a backer in Germany pledges the tier with the add-on (minimum + EU
shipping + add-on); a backer in Japan is refused; the campaign succeeds and a real Celery worker
collects it; the creator builds, previews and sends the survey, the worker e-mails it, the German
backer follows the link and answers with a German address (a 4-digit postal code refused first);
the creator uploads a CSV of tracking numbers, the worker e-mails the tracking and the backer
sees "Shipped" in "My pledges"; the backer report has issue 21's columns, in order, filled.
Each new kind of page is checked with axe-core.
"""

import csv
import io
from datetime import UTC
from decimal import Decimal

import pytest

from campaigns.models import Campaign
from closing.services import campaign_close_now
from fulfilment.models import Fulfilment, SurveyResponse
from pledges.models import Pledge
from tests import factories
from tests.conftest import wait_until
from tests.support.mail import messages_in
from tests.web.conftest import CARD_SUCCEEDS, PASSWORD, check_page, fill_card, link_in, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Theatre Is Evil: the record"
TRACKING = "00340434161094015902"
ISSUE_21_COLUMNS = [
    "Shipping Country",
    "Shipping Amount",
    "Add-ons",
    "Pledged At",
    "Pledged Status",
    "Fulfillment Status",
    "Survey Response",
    "Shipping Name",
    "Shipping Address 1",
    "Shipping Address 2",
    "Shipping City",
    "Shipping State",
    "Shipping Postal Code",
    "Shipping Country Name",
    "Shipping Country Code",
    "Shipping Phone Number",
]
QUESTION = "Your name for the credits"


def _creator_sets_up_the_tier_and_add_on(page, base: str, campaign: Campaign) -> None:
    log_in(page, base, "amanda", f"/studio/{campaign.slug}/")

    page.get_by_role("link", name="Add a tier").click()
    page.locator("#id_title").fill("Vinyl record")
    page.get_by_label("Minimum pledge").fill("30.00")
    page.get_by_label("This reward ships").check()
    page.locator("#id_shipping-0-destination").select_option("region:eu")
    page.locator("#id_shipping-0-price").fill("7.50")
    page.locator("#id_shipping-1-destination").select_option("country:US")
    page.locator("#id_shipping-1-price").fill("15.00")
    check_page(page, "rewards-reach-studio-tier")
    page.get_by_role("button", name="Save the tier").click()
    page.get_by_text("Tier saved.").wait_for()

    page.get_by_role("link", name="Add an add-on").click()
    page.locator("#id_title").fill("Tour poster")
    page.get_by_label("Price").fill("12.50")
    page.get_by_label("Limit").fill("100")
    page.get_by_label("Most per backer").fill("2")
    page.get_by_label("Vinyl record").check()
    check_page(page, "rewards-reach-studio-add-on")
    page.get_by_role("button", name="Save the add-on").click()
    page.get_by_text("Add-on saved.").wait_for()
    assert page.locator("#add-ons tbody tr td").all_inner_texts()[:3] == ["Tour poster", "€12.50", "Vinyl record"]

    page.get_by_role("button", name="Launch").click()
    page.get_by_text("Your campaign is live.").wait_for()


def _mail_to(mail_dir, address: str, subject: str):
    found = [m for m in messages_in(mail_dir) if m["To"] == address and m["Subject"] == subject]
    assert len(found) <= 1, f"{subject!r} sent {len(found)} times"
    return found[0] if found else None


def test_a_physical_reward_reaches_a_backer_in_germany(new_person, live_server, celery_worker, worker_mail_dir):
    base = live_server.url
    amanda = factories.UserFactory(username="amanda", email="amanda@example.com", password=PASSWORD)
    factories.UserFactory(username="lena", email="lena@example.com", password=PASSWORD)
    factories.UserFactory(username="kenji", email="kenji@example.com", password=PASSWORD)
    campaign = factories.DraftCampaignFactory(creator=amanda, title=TITLE, currency="EUR", goal=Decimal("50.00"))

    # 1. The creator: where the record ships and at what price, an add-on that goes with it.
    studio = new_person()
    _creator_sets_up_the_tier_and_add_on(studio, base, campaign)
    vinyl = campaign.rewards.get()
    poster = campaign.add_ons.get()
    assert vinyl.ships
    rules = {(rule.region or str(rule.country), rule.price) for rule in vinyl.shipping_rules.all()}
    assert rules == {("eu", Decimal("7.50")), ("US", Decimal("15.00"))}
    assert list(poster.tiers.all()) == [vinyl]

    # 2. A backer in Germany: the record, shipped to Germany, one poster: 30.00 + 7.50 + 12.50.
    lena = new_person()
    log_in(lena, base, "lena", "/me/pledges/")
    lena.goto(f"{base}/campaigns/{campaign.slug}/pledge/?reward={vinyl.pk}")
    assert lena.get_by_label("Vinyl record").is_checked()
    lena.get_by_label("Ship to").select_option("DE")
    quantity = lena.locator(f"#id_add_on_{poster.pk}")
    quantity.fill("1")
    quantity.press("Tab")
    assert lena.get_by_label("Pledge amount (EUR)").input_value() == "50.00"
    check_page(lena, "rewards-reach-checkout-add-on")
    lena.get_by_role("button", name="Continue to payment").click()
    lena.get_by_role("heading", name="Save your card").wait_for()
    fill_card(lena, CARD_SUCCEEDS)
    lena.get_by_role("button", name="Confirm my pledge").click()
    lena.get_by_role("heading", name=f"You're a backer of {TITLE}!").wait_for()

    pledge = Pledge.objects.get(campaign=campaign)
    assert (pledge.backer.username, pledge.state, pledge.reward_id) == ("lena", Pledge.State.ACTIVE, vinyl.pk)
    assert (pledge.amount, pledge.shipping_amount, str(pledge.shipping_country)) == (
        Decimal("50.00"),
        Decimal("7.50"),
        "DE",
    )
    assert list(pledge.add_on_lines.values_list("add_on_id", "quantity", "unit_price")) == [
        (poster.pk, 1, Decimal("12.50"))
    ]
    lena.goto(f"{base}/me/pledges/{pledge.pk}/")
    assert lena.locator("table.summary td.amount").first.inner_text() == "€50.00"
    assert "Germany · €7.50" in lena.locator("table.summary").first.inner_text()
    assert lena.locator("tr.add-on-line td").first.inner_text() == "1 \u00d7 Tour poster at €12.50"

    # 3. A backer in Japan: the record does not ship there; refused on "Ship to", nothing written.
    kenji = new_person()
    log_in(kenji, base, "kenji", "/me/pledges/")
    kenji.goto(f"{base}/campaigns/{campaign.slug}/pledge/?reward={vinyl.pk}")
    kenji.get_by_label("Ship to").select_option("JP")
    kenji.get_by_role("button", name="Continue to payment").click()
    kenji.get_by_text("This reward does not ship to Japan.").wait_for()
    assert kenji.get_by_role("heading", name="Back this campaign").count() == 1
    check_page(kenji, "rewards-reach-checkout-not-shipped")
    assert Pledge.objects.filter(campaign=campaign).count() == 1
    vinyl.refresh_from_db()
    poster.refresh_from_db()
    assert (vinyl.claimed, poster.claimed) == (1, 1)

    # 4. The campaign succeeds (goal 50.00 met); the worker collects the pledge at the provider.
    closed = campaign_close_now(campaign_id=campaign.pk)
    assert closed.state == Campaign.State.SUCCESSFUL
    wait_until(
        lambda: Pledge.objects.filter(pk=pledge.pk, state=Pledge.State.COLLECTED).exists(),
        timeout=60,
        message="the worker to collect the pledge",
    )
    pledge.refresh_from_db()
    assert pledge.collected_at is not None

    # 5. The creator builds the survey (the address and one question), previews it, sends it.
    studio.goto(f"{base}/studio/{campaign.slug}/")
    studio.get_by_role("link", name="Backer survey").click()
    studio.get_by_role("heading", name="Backer survey").wait_for()
    assert studio.get_by_label("Ask backers of shipping tiers for their address").is_checked()
    studio.get_by_label("Question 1").fill(QUESTION)
    studio.locator("#id_kind_0").select_option("text")
    studio.locator("#id_required_0").check()
    check_page(studio, "rewards-reach-studio-survey")
    studio.get_by_role("button", name="Save the survey").click()
    studio.get_by_text("The survey is saved.").wait_for()
    studio.get_by_role("link", name="Vinyl record").click()
    preview = studio.locator("#survey-preview")
    preview.wait_for()
    assert preview.get_by_label(QUESTION).count() == 1
    assert preview.get_by_label("Postal code").count() == 1  # the tier ships: its backers are asked where to
    check_page(studio, "rewards-reach-studio-survey-preview")
    studio.get_by_role("button", name="Send the survey to every backer").click()
    studio.get_by_text("The survey is sent; backers are being e-mailed.").wait_for()
    assert studio.locator("#response-rates tbody tr").first.locator("td").all_inner_texts() == [
        "Vinyl record",
        "1",
        "0",
        "0",
    ]
    check_page(studio, "rewards-reach-studio-survey-sent")

    # The worker e-mails the German backer; she follows its link (a path of this site) and answers.
    invitation = wait_until(
        lambda: _mail_to(worker_mail_dir, "lena@example.com", f"Your reward from {TITLE}: a few questions"),
        timeout=60,
        message="the survey's e-mail",
    )
    survey_path = f"/me/pledges/{pledge.pk}/survey/"
    assert survey_path in link_in(invitation.get_body(("plain",)).get_content(), survey_path)
    lena.goto(base + survey_path)
    lena.get_by_role("heading", name=f"Survey of {TITLE}").wait_for()
    assert lena.get_by_label("Country").input_value() == "DE"
    check_page(lena, "rewards-reach-backer-survey")
    lena.get_by_label(QUESTION).fill("Lena Fischer")
    lena.get_by_label("Full name").fill("Lena Fischer")
    lena.locator("#id_address1").fill("Torstraße 12")
    lena.get_by_label("City").fill("Berlin")
    lena.get_by_label("Postal code").fill("1011")  # four digits: not a German postal code
    lena.get_by_role("button", name="Save my answers").click()
    postal_code = lena.locator("#id_postal_code").locator("xpath=..")
    postal_code.get_by_text("This is not valid for addresses in this country.").wait_for()
    assert not SurveyResponse.objects.filter(pledge=pledge).exists()
    lena.get_by_label("Postal code").fill("10119")
    lena.get_by_label("Phone number").fill("+49 30 1234567")
    lena.get_by_role("button", name="Save my answers").click()
    lena.get_by_text("Thank you: your answers are saved.").wait_for()
    response = SurveyResponse.objects.get(pledge=pledge)
    assert (response.name, response.address1, response.city, response.postal_code, str(response.country)) == (
        "Lena Fischer",
        "Torstraße 12",
        "Berlin",
        "10119",
        "DE",
    )

    # The creator uploads the tracking numbers; the backer sees the reward shipped.
    studio.goto(f"{base}/studio/{campaign.slug}/")
    studio.get_by_role("link", name="Fulfilment").click()
    studio.get_by_role("heading", name="Fulfilment", exact=True).wait_for()
    check_page(studio, "rewards-reach-studio-fulfilment")
    upload = f"Pledge ID,Carrier,Tracking Number\r\n{pledge.pk},DHL,{TRACKING}\r\n".encode()
    studio.get_by_label("CSV of tracking numbers").set_input_files(
        {"name": "tracking.csv", "mimeType": "text/csv", "buffer": upload}
    )
    studio.get_by_role("button", name="Upload").click()
    studio.get_by_text("1 rewards marked shipped.").wait_for()
    fulfilment = Fulfilment.objects.get(pledge=pledge)
    assert (fulfilment.status, fulfilment.carrier, fulfilment.tracking_number) == ("shipped", "DHL", TRACKING)
    shipped_mail = wait_until(
        lambda: _mail_to(worker_mail_dir, "lena@example.com", f"Your reward from {TITLE} is on its way"),
        timeout=60,
        message="the shipment's e-mail",
    )
    assert TRACKING in shipped_mail.get_body(("plain",)).get_content()

    lena.goto(f"{base}/me/pledges/")
    card = lena.locator("article.pledge", has_text=TITLE)
    assert card.locator(".fulfilment .badge").inner_text() == "Shipped"
    assert f"DHL {TRACKING}" in card.locator(".fulfilment").inner_text()
    assert card.get_by_role("link", name="Your survey answers").count() == 1
    check_page(lena, "rewards-reach-my-pledges-shipped")

    # 6. The backer report, as the creator downloads it from the studio's link.
    studio.goto(f"{base}/studio/{campaign.slug}/")
    report = studio.request.get(base + studio.locator("#backers-csv").get_attribute("href"))
    assert report.status == 200
    header, *rows = list(csv.reader(io.StringIO(report.text().lstrip("\ufeff"))))
    start = header.index("Shipping Country")
    assert header[start:] == [*ISSUE_21_COLUMNS, QUESTION]
    assert header[start - 1] == "Late Pledge"  # after today's columns
    (row,) = rows
    cell = dict(zip(header[start:], row[start:], strict=True))
    assert (cell["Shipping Country"], cell["Shipping Amount"], cell["Add-ons"]) == ("DE", "7.50", "1 x Tour poster")
    assert (cell["Pledged Status"], cell["Fulfillment Status"]) == ("collected", "shipped")
    assert cell["Pledged At"] == pledge.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert cell["Survey Response"] == response.updated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    address = [cell[name] for name in ISSUE_21_COLUMNS[7:]]
    # A cell starting with "+" gets the report's quote, so a spreadsheet never runs it as a formula.
    assert address == ["Lena Fischer", "Torstraße 12", "", "Berlin", "", "10119", "Germany", "DE", "'+49 30 1234567"]
    assert cell[QUESTION] == "Lena Fischer"
