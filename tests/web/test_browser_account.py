"""The account pages in Debian's Chromium: a backer whose pledge was collected opens each settings
page (axe-core clean, one h1, the landmarks), sets a display name, downloads their data (the JSON
file has their pledge and charge) and deletes the account with their password: they are signed
out, cannot log in again, and the creator's backer report calls them "deleted user".

Everything happens in the web process (the campaign is closed and the pledge collected through
the services before the pages are opened), so no worker is started. `make screenshots` puts
its screenshots in var/screenshots/account-*.
"""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from accounts.tokens import token_issue
from closing.services import campaign_close_now, collection
from pledges.models import Charge, Pledge
from pledges.services import PledgeRequest, pledge_create
from reports.backers import backer_report
from tests import factories
from tests.web.conftest import PASSWORD, assert_structure, check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

User = get_user_model()


@pytest.fixture
def backed(live_server):
    river = factories.UserFactory(username="river", email="river@example.com", password=PASSWORD)
    campaign = factories.LiveCampaignFactory(title="Pocket Atlas", goal=Decimal("10.00"))
    ask = PledgeRequest(
        campaign_id=campaign.pk,
        amount=Decimal("25.00"),
        payment_method_id=factories.payment_method(factories.CARD_SUCCEEDS),
    )
    pledge = pledge_create(backer=river, ask=ask)
    campaign_close_now(campaign_id=campaign.pk)
    collection.pledge_collect(pledge_id=pledge.pk)
    token_issue(user=river)
    return {"river": river, "campaign": campaign, "pledge": Pledge.objects.get(pk=pledge.pk)}


def _log_in(page, base: str, username: str) -> None:
    page.goto(base + "/login/")
    page.get_by_label("Username or e-mail").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name=f"Log out {username}").wait_for()


def _check(page, name: str) -> None:
    check_page(page, f"account-{name}")
    assert_structure(page)


def test_a_backer_exports_their_data_and_deletes_their_account(browser_page, live_server, backed, tmp_path):
    page, base = browser_page, live_server.url
    pledge, river = backed["pledge"], backed["river"]
    _log_in(page, base, "river")

    page.get_by_role("link", name="Account", exact=True).click()
    page.get_by_role("heading", name="Your account").wait_for()
    _check(page, "home")

    page.get_by_role("link", name="Change your display name").click()
    _check(page, "profile")
    page.get_by_label("Display name").fill("River Song")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Display name: River Song").wait_for()

    for path, name in (("email", "email"), ("password", "password"), ("tokens", "tokens")):
        page.goto(f"{base}/me/account/{path}/")
        _check(page, name)
    assert page.get_by_role("button", name="Revoke all tokens").count() == 1

    page.goto(base + "/me/account/data/")
    _check(page, "data")
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download your data (JSON)").click()
    download = waiting.value
    assert download.suggested_filename.startswith("pledgeboard-data-") and download.suggested_filename.endswith(".json")
    saved = tmp_path / "data.json"
    download.save_as(saved)
    data = json.loads(Path(saved).read_text(encoding="utf-8"))
    assert data["profile"]["username"] == "river" and data["profile"]["display_name"] == "River Song"
    assert [(p["id"], p["amount"], p["state"]) for p in data["pledges"]] == [(pledge.pk, "25.00", "collected")]
    assert [c["id"] for c in data["charges"]] == [Charge.objects.get(pledge=pledge).pk]
    assert len(data["api_tokens"]) == 1

    page.get_by_role("link", name="Delete your account…").click()
    _check(page, "delete")
    page.get_by_label("Your current password").fill("not my password")
    page.get_by_role("button", name="Delete my account").click()
    page.get_by_text("Your password is not right.").wait_for()
    page.get_by_label("Your current password").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account").click()

    page.get_by_text("Your account is deleted.").wait_for()
    assert page.get_by_role("link", name="Log in").count() == 1
    gone = User.objects.get(pk=river.pk)
    assert (gone.username, gone.email, gone.is_active) == (f"~deleted-{river.pk}", "", False)
    (row,) = list(backer_report(backed["campaign"]).sections[0].rows)
    assert row[2:4] == ["deleted user", ""]

    page.goto(base + "/login/")
    page.get_by_label("Username or e-mail").fill("river")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("alert").first.wait_for()
    assert page.get_by_role("button", name="Log out river").count() == 0


def test_a_creator_with_a_live_campaign_is_told_why_the_account_cannot_go(browser_page, live_server):
    maya = factories.UserFactory(username="maya", email="maya@example.com", password=PASSWORD)
    factories.LiveCampaignFactory(creator=maya, title="Field Notebook")
    page = browser_page
    _log_in(page, live_server.url, "maya")

    page.goto(live_server.url + "/me/account/delete/")

    page.get_by_text("Your campaign “Field Notebook” is live").wait_for()
    assert page.get_by_role("button", name="Delete my account").count() == 0
    _check(page, "delete-blocked")
