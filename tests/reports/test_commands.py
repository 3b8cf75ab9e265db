from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from reports.backers import BACKER_HEADER
from reports.platform import CAMPAIGN_HEADER, SUMMARY_TITLE
from tests import factories
from tests.support.books import parse_csv, split_sections

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    campaign = factories.LiveCampaignFactory(rewards=[{"title": "Poster", "minimum": Decimal("20.00")}])
    factories.PledgeFactory(campaign=campaign, amount="25.00", reward=campaign.rewards.get())
    factories.PledgeFactory(campaign=campaign, amount="5.00")
    return campaign


def test_export_backers_writes_the_report_to_a_file_with_a_progress_bar(campaign, tmp_path):
    out, err = StringIO(), StringIO()
    target = tmp_path / "backers.csv"

    call_command("export_backers", campaign.pk, "--output", str(target), stdout=out, stderr=err)

    rows = parse_csv(target.read_text())
    assert rows[0] == BACKER_HEADER
    assert [row[7] for row in rows[1:]] == ["25.00", "5.00"]
    assert "100% 2/2 rows" in err.getvalue() and "[" + "#" * 30 + "]" in err.getvalue()
    assert out.getvalue() == ""


def test_export_backers_filters_and_writes_to_stdout(campaign):
    out = StringIO()

    call_command("export_backers", campaign.pk, "--reward", "none", "--state", "active", stdout=out, verbosity=0)

    rows = parse_csv(out.getvalue())
    assert [(row[0], row[7]) for row in rows[1:]] == [("2", "5.00")]


@pytest.mark.parametrize(
    ("args", "message"),
    [(["987654321"], "No campaign"), (["{id}", "--state", "bogus"], "Unknown pledge state")],
)
def test_export_backers_refuses_bad_arguments(campaign, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_backers", *[a.format(id=campaign.pk) for a in args], stdout=StringIO())


def test_export_report_writes_csv_and_xlsx(campaign, tmp_path):
    out, err = StringIO(), StringIO()
    call_command("export_report", stdout=out, stderr=err)
    campaigns, summary = split_sections(parse_csv(out.getvalue()))
    assert campaigns[0] == CAMPAIGN_HEADER
    assert str(campaign.pk) in [row[0] for row in campaigns[1:]]
    assert summary[0] == [SUMMARY_TITLE]
    assert "100%" in err.getvalue()

    target = tmp_path / "report.xlsx"
    call_command("export_report", "--format", "xlsx", "--output", str(target), "--state", "live", stderr=StringIO())
    workbook = load_workbook(target)
    assert workbook.sheetnames == ["Campaigns", SUMMARY_TITLE]
    states = {row[3] for row in workbook["Campaigns"].iter_rows(min_row=2, values_only=True)}
    assert states == {"live"}


def test_export_report_needs_a_file_for_xlsx():
    with pytest.raises(CommandError, match="--output"):
        call_command("export_report", "--format", "xlsx", stdout=StringIO(), stderr=StringIO())
