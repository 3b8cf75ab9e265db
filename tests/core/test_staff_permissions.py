"""Staff act by their model permissions: being staff alone opens nothing."""

from decimal import Decimal

import pytest

from pledges.models import Pledge
from tests import factories
from tests.api.helpers import client_as
from tests.pledges.helpers import back, end

pytestmark = pytest.mark.django_db
VIEW_ONLY = ("campaigns.view_campaign", "pledges.view_pledge")


@pytest.fixture
def collected(django_capture_on_commit_callbacks):
    from closing.services import campaign_close
    from closing.services.collection import pledge_collect

    campaign = factories.live_campaign(goal=Decimal("10.00"))
    pledge = back(campaign, "40.00")
    end(campaign)
    with django_capture_on_commit_callbacks(execute=False):
        campaign_close(campaign_id=campaign.pk)
    pledge_collect(pledge_id=pledge.pk)
    return Pledge.objects.get(pk=pledge.pk)


def test_a_view_only_staff_member_reads_but_cannot_refund_or_cancel(collected):
    viewer = client_as(factories.staff_user(permissions=VIEW_ONLY))
    live = factories.live_campaign()

    read = viewer.get(f"/api/pledges/{collected.pk}/")
    refund = viewer.post(f"/api/pledges/{collected.pk}/refund/")
    cancel = viewer.post(f"/api/campaigns/{live.pk}/cancel/")

    assert read.status_code == 200
    assert (refund.status_code, cancel.status_code) == (404, 403)
    assert Pledge.objects.get(pk=collected.pk).state == Pledge.State.COLLECTED


def test_staff_without_permissions_see_what_any_user_sees(collected):
    bare = factories.staff_user(permissions=())
    client = client_as(bare)
    draft = factories.draft_campaign()

    assert client.get(f"/api/pledges/{collected.pk}/").status_code == 404
    assert client.get(f"/api/campaigns/{draft.pk}/").status_code == 404
    assert client.get(f"/api/campaigns/{collected.campaign_id}/backers.csv").status_code == 403
    assert client.get("/api/reports/campaigns.csv").status_code == 403
    assert client.get("/api/pledges/").json()["count"] == 0


def test_backer_emails_need_the_permission_to_export_them(collected):
    campaigns_only = client_as(factories.staff_user(permissions=("campaigns.view_campaign",)))
    readers = client_as(factories.staff_user(permissions=VIEW_ONLY))
    exporters = client_as(factories.staff_user(permissions=(*VIEW_ONLY, "reports.export_backer_emails")))
    url = f"/api/campaigns/{collected.campaign_id}/backers.csv"

    refused = [campaigns_only.get(url).status_code, readers.get(url).status_code]
    allowed = exporters.get(url)

    assert refused == [403, 403]
    assert allowed.status_code == 200
    assert collected.backer.email.encode() in b"".join(allowed.streaming_content)


def test_the_platform_report_needs_the_permission_to_export_it(collected):
    readers = client_as(factories.staff_user(permissions=VIEW_ONLY))
    exporters = client_as(factories.staff_user(permissions=("reports.export_platform_report",)))

    refused = readers.get("/api/reports/campaigns.csv")
    allowed = exporters.get("/api/reports/campaigns.csv")

    assert (refused.status_code, allowed.status_code) == (403, 200)


def test_a_staff_member_allowed_to_refund_refunds(collected):
    refunder = client_as(factories.staff_user(permissions=("pledges.view_pledge", "pledges.refund_pledge")))

    response = refunder.post(f"/api/pledges/{collected.pk}/refund/")

    assert (response.status_code, response.json()["state"]) == (200, "refunded")
