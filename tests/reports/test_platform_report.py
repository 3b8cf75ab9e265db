from collections import defaultdict
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from pledges.models import Pledge
from reports.platform import CAMPAIGN_HEADER, SUMMARY_HEADER, SUMMARY_TITLE, platform_fee
from tests.conftest import client_for
from tests.support.api import assert_error
from tests.support.books import parse_csv, split_sections, streamed

pytestmark = [pytest.mark.django_db, pytest.mark.provider_store_per_module]  # books: conftest.py

MONEY_COLUMNS = ("Goal", "Pledged", "Collected", "Refunded", "Net Collected", "Platform Fee")


def _csv_report(user, **params):
    response = client_for(user).get("/api/reports/campaigns.csv", params)
    assert response.status_code == 200, response.content[:300]
    campaigns, summary = split_sections(parse_csv(streamed(response)))
    assert campaigns[0] == CAMPAIGN_HEADER
    assert summary[0] == [SUMMARY_TITLE]
    assert summary[1] == SUMMARY_HEADER
    return (
        [dict(zip(CAMPAIGN_HEADER, row, strict=True)) for row in campaigns[1:]],
        [dict(zip(SUMMARY_HEADER, row, strict=True)) for row in summary[2:]],
    )


def _iso(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def _sum(pledges) -> Decimal:
    return sum((p.amount for p in pledges), Decimal(0))


# 5% of what each campaign kept: the successful one kept 40.00 (77.55 collected, 37.55 refunded),
# the flexible one 3000 yen; the others kept nothing.
FEES = {"draft": "0.00", "live": "0.00", "successful": "2.00", "failed": "0.00", "canceled": "0.00", "flexible": "150"}


def test_every_campaign_s_row_matches_the_books(books):
    rows, _ = _csv_report(books.staff)
    by_id = {int(row["Campaign ID"]): row for row in rows}

    for name, campaign in books.by_state.items():
        row = by_id[campaign.pk]
        money = campaign.money
        pledges = list(campaign.pledges.all())
        collected = _sum(p for p in pledges if p.state in (Pledge.State.COLLECTED, Pledge.State.REFUNDED))
        refunded = _sum(p for p in pledges if p.state == Pledge.State.REFUNDED)
        assert (row["Title"], row["Creator"], row["State"]) == (
            campaign.title,
            campaign.creator.username,
            campaign.state,
        ), name
        assert (row["Funding Model"], row["Currency"]) == (campaign.funding_model, campaign.currency), name
        assert row["Goal"] == str(money(campaign.goal)), name
        assert row["Pledged"] == str(money(campaign.pledged)), name
        assert Decimal(row["Collected"]) == collected == campaign.collected, name
        assert Decimal(row["Refunded"]) == refunded == campaign.refunded, name
        assert Decimal(row["Net Collected"]) == collected - refunded, name
        assert row["Platform Fee"] == FEES[name], name
        assert row["Backers"] == str(campaign.backers_count), name
        assert row["Percent Funded"] == str(campaign.percent_funded), name
        assert row["Launched At"] == _iso(campaign.launched_at), name
        assert row["Deadline"] == _iso(campaign.deadline), name
        assert row["Closed At"] == _iso(campaign.closed_at or campaign.canceled_at), name


def test_the_numbers_of_the_reference_states(books):
    rows, _ = _csv_report(books.staff)
    by_id = {int(row["Campaign ID"]): row for row in rows}

    funded = by_id[books.by_state["successful"].pk]
    # 40.00 + 37.55 collected, 37.55 refunded; the fee is 5% of the 40.00 kept.
    assert [funded[c] for c in MONEY_COLUMNS] == ["50.00", "89.55", "77.55", "37.55", "40.00", "2.00"]
    assert (funded["Backers"], funded["Percent Funded"]) == ("3", "179")  # 89.55 of 50.00
    flexible = by_id[books.by_state["flexible"].pk]
    assert [flexible[c] for c in MONEY_COLUMNS] == ["100000", "3000", "3000", "0", "3000", "150"]
    for state in ("draft", "live", "failed", "canceled"):
        row = by_id[books.by_state[state].pk]
        assert (row["Collected"], row["Platform Fee"]) == ("0.00", "0.00"), state
    assert by_id[books.by_state["draft"].pk]["Launched At"] == ""


def test_the_fee_is_rounded_half_up_to_the_currency(settings):
    settings.PLATFORM_FEE_PERCENT = Decimal("7.5")

    assert platform_fee(Decimal("33.30"), "USD") == Decimal("2.50")  # 2.4975
    assert platform_fee(Decimal("33.00"), "USD") == Decimal("2.48")  # 2.475: half up
    assert platform_fee(Decimal("1234"), "JPY") == Decimal("93")  # 92.55
    assert platform_fee(Decimal("0"), "USD") == Decimal("0.00")


def test_the_fee_follows_the_setting(books, settings):
    settings.PLATFORM_FEE_PERCENT = Decimal("10")

    rows, _ = _csv_report(books.staff)

    assert {row["Platform Fee"] for row in rows if int(row["Campaign ID"]) == books.by_state["successful"].pk} == {
        "4.00"
    }


def test_the_summary_adds_up_the_rows_by_month_state_and_currency(books):
    rows, summary = _csv_report(books.staff)

    expected = defaultdict(lambda: defaultdict(Decimal))
    for row in rows:
        # The month the campaign ended (closed or canceled), else its deadline.
        month = (row["Closed At"] or row["Deadline"])[:7]
        totals = expected[(month, row["State"], row["Currency"])]
        totals["Campaigns"] += 1
        totals["Backers"] += int(row["Backers"])
        for column in MONEY_COLUMNS:
            totals[column] += Decimal(row[column])
    got = {(line["Month"], line["State"], line["Currency"]): line for line in summary}
    mine = {
        ((c.closed_at or c.canceled_at or c.deadline).strftime("%Y-%m"), c.state, c.currency)
        for c in books.by_state.values()
    }
    assert mine <= set(got)
    for key in mine:
        line, totals = got[key], expected[key]
        assert int(line["Campaigns"]) == totals["Campaigns"], key
        assert int(line["Backers"]) == totals["Backers"], key
        for column in MONEY_COLUMNS:
            assert Decimal(line[column]) == totals[column], (key, column)
    assert list(got) == sorted(got)


def test_state_filter(books):
    rows, summary = _csv_report(books.staff, state="successful,failed")

    assert {row["State"] for row in rows} == {"successful", "failed"}
    assert {line["State"] for line in summary} == {"successful", "failed"}


@pytest.mark.parametrize("url", ["/api/reports/campaigns.xlsx", "/api/reports/campaigns.csv?format=xlsx"])
def test_xlsx_has_the_same_rows_as_the_csv(books, url):
    rows, summary = _csv_report(books.staff)

    response = client_for(books.staff).get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].endswith('.xlsx"')
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["Campaigns", SUMMARY_TITLE]
    sheet = list(workbook["Campaigns"].iter_rows(values_only=True))
    assert list(sheet[0]) == CAMPAIGN_HEADER
    by_id = {row[0]: dict(zip(CAMPAIGN_HEADER, row, strict=True)) for row in sheet[1:]}
    for row in rows:
        cells = by_id[int(row["Campaign ID"])]
        assert cells["Title"] == row["Title"]
        for column in MONEY_COLUMNS:
            assert Decimal(str(cells[column])) == Decimal(row[column]), column
        assert cells["Backers"] == int(row["Backers"])
    summary_sheet = list(workbook[SUMMARY_TITLE].iter_rows(values_only=True))
    assert len(summary_sheet) == len(summary) + 1


@pytest.mark.parametrize("title", ["=1+2", ";=1+1", " =cmd", "@SUM"])
def test_xlsx_text_cannot_become_a_formula(staff, title):
    from tests import factories

    campaign = factories.DraftCampaignFactory(title=title)

    response = client_for(staff).get("/api/reports/campaigns.xlsx")

    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    titles = {row[0].value: row[1] for row in workbook["Campaigns"].iter_rows(min_row=2)}
    cell = titles[campaign.pk]
    assert (cell.value, cell.data_type) == ("'" + title, "s")


def test_platform_report_is_for_staff_only(books, api_client):
    creator = books.by_state["successful"].creator

    assert_error(client_for(creator).get("/api/reports/campaigns.csv"), 403)
    assert_error(client_for(creator).get("/api/reports/campaigns.xlsx"), 403)
    assert_error(api_client.get("/api/reports/campaigns.csv"), 401)


@pytest.mark.parametrize(
    ("params", "code"), [({"format": "pdf"}, "invalid_format"), ({"state": "bogus"}, "invalid_state")]
)
def test_bad_parameters_are_400(staff, params, code):
    assert_error(client_for(staff).get("/api/reports/campaigns.csv", params), 400, code=code)
