"""Staff export backers' e-mail addresses and the platform report only with the permission to."""

import pytest

from tests import factories
from tests.support.api import client_as

pytestmark = pytest.mark.django_db
VIEW_ONLY = ("campaigns.view_campaign", "pledges.view_pledge")


@pytest.fixture
def collected():
    return factories.CollectedPledgeFactory()


def test_backer_emails_need_the_permission_to_export_them(collected):
    campaigns_only = client_as(factories.StaffFactory(permissions=("campaigns.view_campaign",)))
    readers = client_as(factories.StaffFactory(permissions=VIEW_ONLY))
    exporters = client_as(factories.StaffFactory(permissions=(*VIEW_ONLY, "reports.export_backer_emails")))
    url = f"/api/campaigns/{collected.campaign_id}/backers.csv"

    refused = [campaigns_only.get(url).status_code, readers.get(url).status_code]
    allowed = exporters.get(url)

    assert refused == [403, 403]
    assert allowed.status_code == 200
    assert collected.backer.email.encode() in b"".join(allowed.streaming_content)


def test_the_platform_report_needs_the_permission_to_export_it(collected):
    readers = client_as(factories.StaffFactory(permissions=VIEW_ONLY))
    exporters = client_as(factories.StaffFactory(permissions=("reports.export_platform_report",)))

    refused = readers.get("/api/reports/campaigns.csv")
    allowed = exporters.get("/api/reports/campaigns.csv")

    assert (refused.status_code, allowed.status_code) == (403, 200)
