"""The backer report's fulfilment columns, in the SQL (CSV) and Python (XLSX) paths alike;
addresses only for the creator and staff allowed to view them."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from fulfilment.services import fulfilment_update, survey_answer
from reports.backers import BACKER_HEADER, FULFILMENT_HEADER, backer_report
from reports.writers import write_xlsx
from tests import factories
from tests.conftest import client_for
from tests.fulfilment.conftest import GOOD_DE_ADDRESS
from tests.support.books import parse_csv, streamed

pytestmark = [pytest.mark.django_db, pytest.mark.provider_store_per_module]  # funded: conftest.py

QUESTIONS = ["Name for the credits", "Vinyl colour", "Bonus tracks"]
ADDRESS_HEADER = FULFILMENT_HEADER[2:]


@pytest.fixture
def answered(sent_survey, funded):
    vinyl, digital = funded["pledges"]["vinyl"], funded["pledges"]["digital"]
    ids = {q.prompt: str(q.pk) for q in sent_survey.questions.all()}
    survey_answer(
        pledge=vinyl,
        user=vinyl.backer,
        answers={
            ids["Name for the credits"]: "=Anna",
            ids["Vinyl colour"]: "Red",
            ids["Bonus tracks"]: ["Live", "Demo"],
        },
        address={**GOOD_DE_ADDRESS, "address2": "Hinterhaus", "phone": "+49 30 1234567"},
    )
    survey_answer(pledge=digital, user=digital.backer, answers={ids["Name for the credits"]: "Bo"})
    fulfilment_update(
        pledge=vinyl, user=funded["campaign"].creator, status="shipped", carrier="DHL", tracking_number="123"
    )
    return funded


def _csv(user, campaign) -> list[dict[str, str]]:
    response = client_for(user).get(f"/api/campaigns/{campaign.pk}/backers.csv", {"async": "0"})
    assert response.status_code == 200
    rows = parse_csv(streamed(response))
    assert rows[0] == BACKER_HEADER + QUESTIONS
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _by_email(rows, funded, name):
    email = funded["pledges"][name].backer.email
    (row,) = [row for row in rows if row["Email"] == email]
    return row


def test_the_creator_gets_status_answers_and_the_address(answered):
    rows = _csv(answered["campaign"].creator, answered["campaign"])

    vinyl = _by_email(rows, answered, "vinyl")
    assert {column: vinyl[column] for column in FULFILMENT_HEADER if column != "Survey Response"} == {
        "Fulfillment Status": "shipped",
        "Shipping Name": "Anna Schmidt",
        "Shipping Address 1": "Unter den Linden 1",
        "Shipping Address 2": "Hinterhaus",
        "Shipping City": "Berlin",
        "Shipping State": "",
        "Shipping Postal Code": "10117",
        "Shipping Country Name": "Germany",
        "Shipping Country Code": "DE",
        "Shipping Phone Number": "'+49 30 1234567",  # a leading + is neutralised like a formula
    }
    assert vinyl["Survey Response"].endswith("Z")
    assert [vinyl[q] for q in QUESTIONS] == ["'=Anna", "Red", "Live; Demo"]
    digital = _by_email(rows, answered, "digital")
    assert [digital["Fulfillment Status"], digital["Shipping Country Code"], digital["Vinyl colour"]] == [
        "unfulfilled",
        "",
        "",
    ]
    assert _by_email(rows, answered, "vinyl2")["Survey Response"] == ""


def test_staff_without_the_address_permission_get_the_columns_empty(answered):
    exporter = factories.StaffFactory(permissions=["reports.export_backer_emails", "campaigns.view_campaign"])
    rows = _csv(exporter, answered["campaign"])

    vinyl = _by_email(rows, answered, "vinyl")
    assert [vinyl[column] for column in ADDRESS_HEADER] == [""] * 9
    assert (vinyl["Fulfillment Status"], vinyl["Vinyl colour"]) == ("shipped", "Red")


def test_staff_with_the_address_permission_get_the_address(answered):
    allowed = factories.StaffFactory(
        permissions=[
            "reports.export_backer_emails",
            "campaigns.view_campaign",
            "fulfilment.view_shipping_address",
        ]
    )
    vinyl = _by_email(_csv(allowed, answered["campaign"]), answered, "vinyl")
    assert (vinyl["Shipping City"], vinyl["Shipping Country Name"]) == ("Berlin", "Germany")


@pytest.mark.parametrize("addresses", [True, False])
def test_the_xlsx_rows_say_what_the_csv_says(answered, addresses):
    campaign = answered["campaign"]
    user = (
        campaign.creator
        if addresses
        else factories.StaffFactory(permissions=["reports.export_backer_emails", "campaigns.view_campaign"])
    )
    from_sql = _csv(user, campaign)
    out = BytesIO()
    write_xlsx(backer_report(campaign, addresses=addresses), out)
    sheet = list(load_workbook(out).active.iter_rows(values_only=True))

    assert list(sheet[0]) == BACKER_HEADER + QUESTIONS
    start = BACKER_HEADER.index("Fulfillment Status")
    from_python = [["" if v is None else str(v) for v in row[start:]] for row in sheet[1:]]
    from_csv = [[row[column] for column in [*FULFILMENT_HEADER, *QUESTIONS]] for row in from_sql]
    # The response time is a datetime in the workbook and ISO text in the CSV: compared by presence.
    for row in (*from_python, *from_csv):
        row[1] = bool(row[1])
    assert from_python == from_csv
