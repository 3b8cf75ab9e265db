from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.utils import timezone

from fulfilment.models import Fulfilment
from pledges.models import Pledge
from reports.backers import BACKER_HEADER
from reports.models import ExportJob
from reports.writers import safe_text
from rewards.models import RewardTier
from tests import factories
from tests.conftest import client_for
from tests.support.api import assert_error
from tests.support.books import parse_csv, streamed

pytestmark = [pytest.mark.django_db, pytest.mark.provider_store_per_module]  # books: conftest.py


def _report_rows(user, campaign, **params) -> list[list[str]]:
    response = client_for(user).get(f"/api/campaigns/{campaign.pk}/backers.csv", params)
    assert response.status_code == 200, response.content[:300]
    assert isinstance(response, StreamingHttpResponse)
    rows = parse_csv(streamed(response))
    assert rows[0] == BACKER_HEADER
    return rows[1:]


def _report(user, campaign, **params):
    """Rows by column name (Kickstarter's "Shipping Amount" and "Pledged At" repeat ours: same cells)."""
    rows = _report_rows(user, campaign, **params)
    for row in rows:
        named = list(zip(BACKER_HEADER, row, strict=True))
        for name in ("Shipping Amount", "Pledged At"):
            assert len({cell for column, cell in named if column == name}) == 1
    return [dict(zip(BACKER_HEADER, row, strict=True)) for row in rows]


def _iso(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def test_backer_report_has_one_row_per_pledge_matching_the_database(books):
    campaign = books.by_state["successful"]

    rows = _report(campaign.creator, campaign)

    pledges = list(Pledge.objects.filter(campaign=campaign).select_related("backer", "reward").order_by("created_at"))
    assert len(rows) == len(pledges) == 4
    for number, (row, pledge) in enumerate(zip(rows, pledges, strict=True), start=1):
        assert row["Backer Number"] == str(number)
        assert row["Backer UID"] == str(pledge.backer_id)
        assert row["Backer Name"] == pledge.backer.username
        assert row["Email"] == pledge.backer.email
        assert row["Pledge Amount"] == str(campaign.money(pledge.amount))
        assert row["Currency"] == "USD"
        assert row["Pledged At"] == _iso(pledge.created_at)
        assert row["Pledge Status"] == pledge.state
        assert row["Collected At"] == _iso(pledge.collected_at)
        if pledge.reward:
            assert (row["Reward ID"], row["Reward Title"]) == (str(pledge.reward_id), "Vinyl")
            assert (row["Reward Minimum"], row["Shipping Amount"]) == ("30.00", "7.50")
        else:
            assert row["Reward ID"] == row["Reward Title"] == row["Reward Minimum"] == row["Shipping Amount"] == ""
    assert [row["Pledge Status"] for row in rows] == ["collected", "refunded", "errored", "canceled"]
    assert rows[0]["Collected At"] != "" and rows[2]["Collected At"] == ""
    collected = sum(Decimal(r["Pledge Amount"]) for r in rows if r["Pledge Status"] in ("collected", "refunded"))
    assert collected == campaign.collected == Decimal("77.55")
    refunded = sum(Decimal(r["Pledge Amount"]) for r in rows if r["Pledge Status"] == "refunded")
    assert refunded == campaign.refunded


def test_backer_report_of_a_campaign_in_every_state_adds_up(books):
    for name, campaign in books.by_state.items():
        rows = _report(books.staff, campaign)

        assert len(rows) == campaign.pledges.count(), name
        counted = ("active",) if campaign.state == "live" else ("collected", "refunded", "errored", "released")
        total = sum((Decimal(r["Pledge Amount"]) for r in rows if r["Pledge Status"] in counted), Decimal(0))
        assert total == campaign.pledged, name


def test_amounts_have_the_currency_s_decimals(books):
    rows = _report(books.staff, books.by_state["flexible"])

    assert [(row["Pledge Amount"], row["Currency"]) for row in rows] == [("3000", "JPY")]


def test_filters_by_tier_and_state_keep_the_backer_numbers(books):
    campaign = books.by_state["successful"]
    vinyl = campaign.rewards.get()

    with_vinyl = _report(campaign.creator, campaign, reward=vinyl.pk)
    without = _report(campaign.creator, campaign, reward="none")
    errored = _report(campaign.creator, campaign, state="errored")
    money_moved = _report(campaign.creator, campaign, state="collected,refunded", reward=vinyl.pk)

    assert [r["Backer Number"] for r in with_vinyl] == ["1", "2"]
    assert [r["Backer Number"] for r in without] == ["3", "4"]
    assert [(r["Backer Number"], r["Pledge Status"]) for r in errored] == [("3", "errored")]
    assert [r["Pledge Status"] for r in money_moved] == ["collected", "refunded"]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"state": "bogus"}, "invalid_state"),
        ({"state": "collected,nope"}, "invalid_state"),
        ({"reward": "abc"}, "invalid_reward"),
        ({"reward": "999999999"}, "unknown_reward"),
        ({"async": "maybe"}, "invalid_async"),
    ],
)
def test_bad_filters_are_400(books, params, code):
    campaign = books.by_state["successful"]

    response = client_for(campaign.creator).get(f"/api/campaigns/{campaign.pk}/backers.csv", params)

    assert_error(response, 400, code=code)


def test_a_reward_of_another_campaign_is_refused(books):
    campaign = books.by_state["successful"]
    other_tier = books.by_state["live"].rewards.get()

    response = client_for(campaign.creator).get(f"/api/campaigns/{campaign.pk}/backers.csv", {"reward": other_tier.pk})

    assert_error(response, 400, code="unknown_reward")


def test_only_the_creator_and_staff_see_the_backers(books, api_client):
    campaign = books.by_state["successful"]
    url = f"/api/campaigns/{campaign.pk}/backers.csv"
    backer = books.pledges["collected"].backer
    other_creator = books.by_state["live"].creator

    assert client_for(campaign.creator).get(url).status_code == 200
    assert client_for(books.staff).get(url).status_code == 200
    assert_error(client_for(backer).get(url), 403)
    assert_error(client_for(other_creator).get(url), 403)
    assert_error(api_client.get(url), 401)


def test_a_campaign_the_user_cannot_see_is_404(books):
    draft = books.by_state["draft"]
    stranger = factories.UserFactory()

    assert_error(client_for(stranger).get(f"/api/campaigns/{draft.pk}/backers.csv"), 404)
    assert_error(client_for(stranger).get("/api/campaigns/987654321/backers.csv"), 404)
    assert client_for(draft.creator).get(f"/api/campaigns/{draft.pk}/backers.csv").status_code == 200


def test_a_creator_sees_only_their_own_campaign_s_backers(books):
    mine = books.by_state["live"]
    theirs = books.by_state["successful"]

    assert client_for(mine.creator).get(f"/api/campaigns/{theirs.pk}/backers.csv").status_code == 403
    rows = _report(mine.creator, mine)
    emails = {row["Email"] for row in rows}
    assert emails == set(Pledge.objects.filter(campaign=mine).values_list("backer__email", flat=True))
    assert not emails & set(Pledge.objects.filter(campaign=theirs).values_list("backer__email", flat=True))


@pytest.mark.parametrize(
    "dangerous",
    [
        '=HYPERLINK("http://evil.example","x")',
        "+1+1",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1",
        "\r=1",
        ";=1+1",  # Excel with ";" as its list separator makes "=1+1" a cell of its own
        ";",
        " =cmd",  # leading spaces before a formula are skipped
        "\t=",
        "@SUM",
        " ;=1",
        ",=1",
        "\n=1",
    ],
    ids=repr,
)
def test_cells_a_spreadsheet_would_run_are_neutralised(dangerous):
    campaign = factories.LiveCampaignFactory(rewards=[{"title": "Vinyl", "minimum": Decimal("5.00")}])
    # Titles with control characters are refused today; rows written before that still reach reports.
    RewardTier.objects.filter(campaign=campaign).update(title=dangerous)
    backer = factories.UserFactory(first_name=dangerous, last_name="")
    factories.PledgeFactory(campaign=campaign, backer=backer, reward=campaign.rewards.get().pk, amount="10.00")

    rows = _report(campaign.creator, campaign)

    assert rows[0]["Backer Name"] == "'" + dangerous.strip()  # a name is trimmed, then neutralised
    assert rows[0]["Reward Title"] == "'" + dangerous


def test_harmless_text_is_left_as_it_is():
    assert safe_text("Zoë O'Neil") == "Zoë O'Neil"
    assert safe_text("a=b") == "a=b"
    assert safe_text("") == ""
    assert safe_text("-") == "'-"
    assert safe_text("  Zoë") == "  Zoë"
    assert safe_text("Zoë; =1") == "Zoë; =1"
    assert safe_text("1,5 =") == "1,5 ="


def test_full_names_are_used_when_set(live_campaign):
    backer = factories.UserFactory(first_name="Amanda", last_name="Palmer")
    factories.PledgeFactory(campaign=live_campaign, backer=backer, amount="10.00")

    rows = _report(live_campaign.creator, live_campaign)

    assert rows[0]["Backer Name"] == "Amanda Palmer"


def test_a_big_report_goes_to_the_background(live_campaign, settings, django_capture_on_commit_callbacks):
    settings.EXPORT_ASYNC_THRESHOLD = 1
    factories.PledgeFactory(campaign=live_campaign, amount="10.00")
    factories.PledgeFactory(campaign=live_campaign, amount="11.00")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(live_campaign.creator).get(f"/api/campaigns/{live_campaign.pk}/backers.csv")

    assert response.status_code == 202
    body = response.json()
    job = ExportJob.objects.get(pk=body["id"])
    assert (job.kind, job.format, job.campaign_id, job.requested_by_id) == (
        "backers",
        "csv",
        live_campaign.pk,
        live_campaign.creator_id,
    )
    assert (body["state"], body["rows_total"], body["download_url"]) == ("queued", 2, None)
    assert response["Location"] == body["url"]
    assert body["url"].endswith(f"/api/exports/{job.pk}/")
    from core.queue import queued

    assert queued(callbacks) == [("reports.tasks.build_export", (job.pk,))]


def test_async_0_streams_whatever_the_size(live_campaign, settings):
    settings.EXPORT_ASYNC_THRESHOLD = 0
    factories.PledgeFactory(campaign=live_campaign, amount="10.00")

    rows = _report(live_campaign.creator, live_campaign, **{"async": "0"})

    assert len(rows) == 1


def test_the_report_is_a_csv_download(live_campaign):
    response = client_for(live_campaign.creator).get(f"/api/campaigns/{live_campaign.pk}/backers.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="backers-{live_campaign.slug}-')
    assert parse_csv(streamed(response)) == [BACKER_HEADER]


def test_an_accept_header_asking_for_csv_does_not_upset_the_api(live_campaign):
    response = client_for(live_campaign.creator).get(
        f"/api/campaigns/{live_campaign.pk}/backers.csv", HTTP_ACCEPT="text/csv"
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    "params",
    [{}, {"state": "collected,refunded"}, {"reward": "none"}, {"state": "errored", "reward": "none"}],
)
def test_the_csv_postgresql_writes_has_the_cells_the_python_rows_have(books, params):
    """The CSV comes from COPY; XLSX still from the Python rows: cell for cell the same report."""
    from reports.backers import BackerFilters, _backer_rows
    from reports.writers import csv_cell

    # Shipped, then refunded: the status stays what it was (not only collected pledges have one).
    shipped = books.pledges["refunded"]
    now = timezone.now()
    Fulfilment.objects.create(
        pledge=shipped, status="shipped", carrier="DHL", tracking_number="T1", shipped_at=now, updated_at=now
    )
    for campaign in books.campaigns:
        backer = factories.UserFactory(first_name="  Zoë ", last_name='O\'Neil, "Jr"')
        RewardTier.objects.filter(campaign=campaign).update(title='=1+1, "quoted"\nline')
        if campaign.state == "live":
            factories.PledgeFactory(campaign=campaign, backer=backer, amount="10.00")
        filters = BackerFilters.parse(campaign=campaign, reward=params.get("reward"), state=params.get("state"))
        expected = [[csv_cell(value) for value in row] for row in _backer_rows(campaign, filters)]

        rows = _report_rows(campaign.creator, campaign, **params)

        assert rows == expected, campaign.state
        if campaign.pk == shipped.campaign_id and "reward" not in params:
            [refunded] = [row for row in rows if row[1] == str(shipped.backer_id)]
            assert refunded[BACKER_HEADER.index("Fulfillment Status")] == "shipped"


def test_the_add_on_cell_lists_each_pledges_add_ons_in_add_on_order_and_only_its_own():
    from rewards.services import add_on_create

    campaign = factories.LiveCampaignFactory(rewards=[{"title": "Print", "minimum": Decimal("10")}])
    other = factories.LiveCampaignFactory(rewards=[{"title": "Print", "minimum": Decimal("10")}])
    poster = add_on_create(campaign=campaign, title="Poster", price=Decimal("5.00"), max_per_backer=3)
    pin = add_on_create(campaign=campaign, title="Pin", price=Decimal("1.00"), max_per_backer=3)
    elsewhere = add_on_create(campaign=other, title="Mug", price=Decimal("8.00"))
    tier, other_tier = campaign.rewards.get(), other.rewards.get()
    factories.PledgeFactory(campaign=campaign, reward=tier, amount="21.00", add_ons={pin.pk: 1, poster.pk: 2})
    factories.PledgeFactory(campaign=campaign, reward=tier, amount="10.00")
    factories.PledgeFactory(campaign=other, reward=other_tier, amount="18.00", add_ons={elsewhere.pk: 1})

    rows = _report(campaign.creator, campaign)

    assert [row["Add-ons"] for row in rows] == ["2 x Poster; 1 x Pin", ""]
