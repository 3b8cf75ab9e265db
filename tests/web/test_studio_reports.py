"""The studio's numbers: the backer report as XLSX (read back with openpyxl), the daily
funding chart's data, and the collection progress after a real close and collection."""

import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from pledges.models import Pledge
from pledges.services import pledge_create
from reports.backers import BACKER_HEADER
from tests import factories

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _pledge(user, campaign, amount: str, reward=None, card: str = factories.CARD_OK) -> Pledge:
    return pledge_create(
        backer=user,
        campaign_id=campaign.pk,
        amount=Decimal(amount),
        reward_id=reward.pk if reward else None,
        payment_method_id=factories.payment_method(card),
    )


@pytest.fixture
def maya():
    return factories.UserFactory(username="maya", email="maya@example.com")


@pytest.fixture
def funded(maya):
    campaign = factories.live_campaign(
        creator=maya,
        title="Field Notebook",
        goal=Decimal("100.00"),
        currency="EUR",
        rewards=[{"title": "+Sketchbook", "minimum": Decimal("25.00"), "shipping": Decimal("4.50")}],
    )
    sketchbook = campaign.rewards.get()
    river = factories.UserFactory(username="river", email="river@example.com", first_name="=HYPERLINK(1)")
    _pledge(river, campaign, "40.00", sketchbook)
    _pledge(factories.UserFactory(username="sam", email="@sam@example.com"), campaign, "29.50", sketchbook)
    _pledge(factories.UserFactory(username="kim", email="kim@example.com", last_name="-Lee"), campaign, "12.25")
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
