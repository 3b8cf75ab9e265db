"""The studio's numbers: the backer report as XLSX (read back with openpyxl), the daily
funding chart's data, and the collection progress after a real close and collection."""

import io
import json
import re
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from campaigns.models import Campaign
from closing.services import campaign_close
from closing.services.collection import pledge_collect, pledges_drop_errored
from pledges.models import Pledge
from reports.backers import BACKER_HEADER
from reports.stats import campaign_stats
from tests import factories

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def maya():
    return factories.UserFactory(username="maya", email="maya@example.com")


@pytest.fixture
def funded(maya):
    campaign = factories.LiveCampaignFactory(
        creator=maya,
        title="Field Notebook",
        goal=Decimal("100.00"),
        currency="EUR",
        rewards=[{"title": "+Sketchbook", "minimum": Decimal("25.00"), "shipping": Decimal("4.50")}],
    )
    sketchbook = campaign.rewards.get()
    river = factories.UserFactory(username="river", email="river@example.com", first_name="=HYPERLINK(1)")
    factories.PledgeFactory(backer=river, campaign=campaign, amount="40.00", reward=sketchbook, shipping_country="DE")
    factories.PledgeFactory(
        backer=factories.UserFactory(username="sam", email="@sam@example.com"),
        campaign=campaign,
        amount="29.50",
        reward=sketchbook,
        shipping_country="FR",
    )
    factories.PledgeFactory(
        backer=factories.UserFactory(username="kim", email="kim@example.com", last_name="-Lee"),
        campaign=campaign,
        amount="12.25",
    )
    campaign.refresh_from_db()
    return campaign


def _sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert re.fullmatch(r'attachment; filename="backers-[\w-]+-\d{8}\.xlsx"', response["Content-Disposition"])
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return workbook["Backers"]


def test_the_backer_report_downloads_as_xlsx_with_numbers_and_neutralised_text(funded, maya):
    page = logged_in(maya).get(f"/studio/{funded.slug}/")
    link = re.search(r'<a href="([^"]+)" id="backers-xlsx">', page.text).group(1)

    sheet = _sheet(logged_in(maya).get(link))

    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == BACKER_HEADER
    column = {name: index for index, name in enumerate(BACKER_HEADER)}
    # Expected from the pledges themselves, in pledge order.
    pledges = list(Pledge.objects.filter(campaign=funded).select_related("backer", "reward").order_by("created_at"))
    assert len(rows) - 1 == len(pledges) == 3
    for number, (row, pledge) in enumerate(zip(rows[1:], pledges, strict=True), start=1):
        assert row[column["Backer Number"]] == number
        assert row[column["Backer UID"]] == pledge.backer_id
        assert row[column["Pledge Amount"]] == float(pledge.amount)  # a number, not text
        assert isinstance(row[column["Pledge Amount"]], int | float)
        assert row[column["Currency"]] == "EUR"
        assert row[column["Pledge Status"]] == "active"
    names = [row[column["Backer Name"]] for row in rows[1:]]
    emails = [row[column["Email"]] for row in rows[1:]]
    titles = [row[column["Reward Title"]] for row in rows[1:]]
    # Text a spreadsheet would run as a formula starts with a quote, and is a text cell.
    assert names == ["'=HYPERLINK(1)", "sam", "'-Lee"]
    assert emails == ["river@example.com", "'@sam@example.com", "kim@example.com"]
    assert titles == ["'+Sketchbook", "'+Sketchbook", None]
    assert [row[column["Shipping Amount"]] for row in rows[1:]] == [4.5, 4.5, None]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_the_xlsx_takes_the_dashboards_filters(funded, maya):
    sketchbook = funded.rewards.get()
    page = logged_in(maya).get(f"/studio/{funded.slug}/?reward={sketchbook.pk}&state=active")
    link = re.search(r'<a href="([^"]+)" id="backers-xlsx">', page.text).group(1).replace("&amp;", "&")
    assert link == f"/studio/{funded.slug}/backers.xlsx?reward={sketchbook.pk}&state=active"

    rows = list(_sheet(logged_in(maya).get(link)).iter_rows(values_only=True))[1:]

    amounts = sorted(row[BACKER_HEADER.index("Pledge Amount")] for row in rows)
    assert amounts == [29.5, 40.0]


def test_the_xlsx_is_the_creators_only(funded):
    stranger = factories.UserFactory(username="stranger", is_staff=True)
    path = f"/studio/{funded.slug}/backers.xlsx"

    assert logged_in(stranger).get(path).status_code == 404
    anonymous = Client().get(path)
    assert anonymous.status_code == 302 and anonymous["Location"] == f"/login/?next={path}"


# --- the daily chart ------------------------------------------------------------------------


def _chart_data(page) -> dict:
    found = re.search(r'<script id="daily-chart-data" type="application/json">(.*?)</script>', page.text, re.S)
    assert found, "no chart data on the page"
    return json.loads(found.group(1))


def test_the_dashboard_chart_has_each_days_sum_the_running_total_goal_and_projection(maya):
    today = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    launch_day = today - timedelta(days=3)
    with time_machine.travel(launch_day + timedelta(hours=9), tick=False):
        campaign = factories.LiveCampaignFactory(creator=maya, title="Field Notebook", goal=Decimal("200.00"))
    # (day offset from launch, amount): two pledges on the first day, none on the second.
    pledges = [(0, "40.00"), (0, "10.00"), (2, "25.00"), (3, "12.50")]
    for offset, amount in pledges:
        with time_machine.travel(launch_day + timedelta(days=offset, minutes=10 + len(amount)), tick=False):
            factories.PledgeFactory(backer=factories.UserFactory(), campaign=campaign, amount=amount)

    moment = today + timedelta(minutes=30)
    with time_machine.travel(moment, tick=False):
        page = logged_in(maya).get(f"/studio/{campaign.slug}/")
        projection = campaign_stats(campaign=campaign).projection

    data = _chart_data(page)
    days = [(launch_day + timedelta(days=n)).date().isoformat() for n in range(4)]
    sums = [sum((Decimal(a) for o, a in pledges if o == n), Decimal("0")) for n in range(4)]
    running = [sum(sums[: n + 1], Decimal("0")) for n in range(4)]
    assert data["labels"] == days
    assert [Decimal(value) for value in data["pledged"]] == sums == [Decimal("50"), 0, Decimal("25"), Decimal("12.5")]
    assert [Decimal(value) for value in data["cumulative"]] == running
    assert data["goal"] == "200.00" and data["currency"] == "USD"
    assert data["deadline"] == campaign.deadline.astimezone(UTC).date().isoformat()
    # The stats code's projection, handed over as it is (not recomputed by the page).
    assert projection.method in ("recent_average", "since_launch")
    assert data["projected"] == str(projection.projected_total)
    # The text alternative: a summary and a table of the same numbers.
    table = re.search(r'<table class="summary" id="daily-table">(.*?)</table>', page.text, re.S).group(1)
    assert re.findall(r'<th scope="row">([\d-]+)</th>', table) == days
    assert "$87.50 pledged of the $200.00 goal over 4 days." in page.text
    assert f"Projected total at the deadline: ${projection.projected_total:,}" in page.text
    assert 'aria-describedby="chart-summary"' in page.text
    assert "<script>" not in page.text  # data as JSON, code from our own files only


def test_a_draft_has_no_chart(maya):
    campaign = factories.DraftCampaignFactory(creator=maya)

    page = logged_in(maya).get(f"/studio/{campaign.slug}/")

    assert 'id="daily-chart-data"' not in page.text and 'id="daily-chart"' not in page.text


# --- collection progress --------------------------------------------------------------------


def _progress(client, campaign) -> dict:
    fragment = client.get(f"/studio/{campaign.slug}/collection/")
    assert fragment.status_code == 200
    numbers = {
        name: re.search(rf'<dd class="big" id="{name}">([^<]*)</dd>', fragment.text).group(1)
        for name in ("collected-count", "collected-amount", "waiting-count", "errored-count", "dropped-count")
    }
    numbers["polling"] = "data-poll-url" in fragment.text
    return numbers


def test_the_collection_progress_follows_a_real_close_and_collection(
    maya, settings, django_capture_on_commit_callbacks
):
    campaign = factories.LiveCampaignFactory(creator=maya, title="Field Notebook", goal=Decimal("50.00"))
    cards = [
        ("30.00", factories.CARD_SUCCEEDS),
        ("25.00", factories.CARD_SUCCEEDS),
        ("20.00", factories.CARD_DECLINES_ON_CHARGE),
    ]
    pledges = [
        (
            factories.PledgeFactory(backer=factories.UserFactory(), campaign=campaign, amount=amount, card=card),
            amount,
            card,
        )
        for amount, card in cards
    ]
    Campaign.objects.filter(pk=campaign.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=False):  # no worker here: collection is run below
        assert campaign_close(campaign_id=campaign.pk).state == Campaign.State.SUCCESSFUL
    client = logged_in(maya)

    before = _progress(client, campaign)

    assert before == {
        "collected-count": "0",
        "collected-amount": "$0.00",
        "waiting-count": "3",
        "errored-count": "0",
        "dropped-count": "0",
        "polling": True,
    }
    dashboard = client.get(f"/studio/{campaign.slug}/")
    assert 'id="collection-progress" data-poll-url="/studio/' in dashboard.text
    assert "/static/web/poll.js" in dashboard.text

    with django_capture_on_commit_callbacks(execute=False):
        for pledge, _, _ in pledges:
            pledge_collect(pledge_id=pledge.pk)
    charged = [Decimal(amount) for _, amount, card in pledges if card == factories.CARD_SUCCEEDS]
    declined = sum(1 for _, _, card in pledges if card == factories.CARD_DECLINES_ON_CHARGE)

    during = _progress(client, campaign)

    assert during == {
        "collected-count": str(len(charged)),
        "collected-amount": f"${sum(charged):.2f}",
        "waiting-count": "0",
        "errored-count": str(declined),
        "dropped-count": "0",
        "polling": True,  # an errored pledge is retried: not finished yet
    }

    assert pledges_drop_errored(now=timezone.now() + settings.ERRORED_PLEDGE_GRACE + timedelta(seconds=1)) == declined
    after = _progress(client, campaign)

    assert after == {**during, "errored-count": "0", "dropped-count": str(declined), "polling": False}
    assert "Collection has finished." in client.get(f"/studio/{campaign.slug}/collection/").text


def test_the_collection_progress_is_the_creators_only(funded):
    path = f"/studio/{funded.slug}/collection/"

    assert logged_in(factories.UserFactory(username="stranger", is_staff=True)).get(path).status_code == 404
    assert Client().get(path).status_code == 302
    # A live campaign has nothing collected yet, and nothing to poll.
    fragment = logged_in(funded.creator).get(path)
    assert "data-poll-url" not in fragment.text and "charged once the campaign closes successfully" in fragment.text
