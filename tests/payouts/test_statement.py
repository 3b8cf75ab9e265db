"""The statement through the API and the studio: the creator's own, and staff's; decimal strings."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from closing.services import pledge_collect
from payouts import services
from tests import factories
from tests.conftest import client_for
from tests.support.payouts import onboard

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_campaign(settings):
    settings.PAYOUT_DELAY = settings.PAYOUT_DELAY.__class__(0)
    creator = factories.UserFactory(username="amanda")
    onboard(creator)
    campaign = factories.LiveCampaignFactory(creator=creator, goal=Decimal("10.00"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="40.00")
    factories.closed(campaign)
    pledge_collect(pledge_id=pledge.pk)
    services.campaign_payout(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    return campaign


def test_the_creator_reads_the_statement_as_decimal_strings(paid_campaign):
    body = client_for(paid_campaign.creator).get(f"/api/campaigns/{paid_campaign.pk}/statement/").json()

    assert {k: body[k] for k in ("gross", "refunded", "platform_fee", "processing_fees", "reserve", "net")} == {
        "gross": "40.00",
        "refunded": "0.00",
        "platform_fee": "2.00",
        "processing_fees": "1.46",
        "reserve": "0.00",
        "net": "36.54",
    }
    assert (body["transferred"], body["balance"]) == ("36.54", "0.00")
    [transfer] = body["transfers"]
    assert (transfer["kind"], transfer["amount"], transfer["state"]) == ("transfer", "36.54", "sent")


def test_others_cannot_read_it_and_staff_need_the_permission(paid_campaign):
    url = f"/api/campaigns/{paid_campaign.pk}/statement/"
    stranger = factories.UserFactory()
    staff_without = factories.StaffFactory(username="support", permissions=())
    staff_with = factories.StaffFactory(username="finance", permissions=["payouts.view_payout"])

    assert client_for(stranger).get(url).status_code == 403
    assert client_for(staff_without).get(url).status_code == 403
    assert client_for(staff_with).get(url).json()["net"] == "36.54"
    assert client_for(stranger).get("/api/campaigns/999999/statement/").status_code == 404


def test_the_studio_page_and_its_downloads(client, paid_campaign):
    client.force_login(paid_campaign.creator)

    page = client.get(f"/studio/{paid_campaign.slug}/statement/")
    csv = b"".join(client.get(f"/studio/{paid_campaign.slug}/statement.csv").streaming_content).decode()
    xlsx = client.get(f"/studio/{paid_campaign.slug}/statement.xlsx")

    assert page.status_code == 200
    assert "$36.54" in page.content.decode()
    assert "Net,36.54,USD" in csv.replace("\r", "")
    rows = [tuple(row[:3]) for row in load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active.values]
    assert ("Net", 36.54, "USD") in rows


def test_another_creator_gets_a_404_on_the_studio_page(client, paid_campaign):
    client.force_login(factories.UserFactory())

    assert client.get(f"/studio/{paid_campaign.slug}/statement/").status_code == 404
    assert client.get(f"/studio/{paid_campaign.slug}/statement.csv").status_code == 404
