"""Staff act by their model permissions: being staff alone opens nothing (core.permissions,
across the apps' endpoints)."""

import pytest

from pledges.models import Pledge
from tests import factories
from tests.support.api import client_as

pytestmark = pytest.mark.django_db
VIEW_ONLY = ("campaigns.view_campaign", "pledges.view_pledge")


@pytest.fixture
def collected():
    return factories.CollectedPledgeFactory()


def test_a_view_only_staff_member_reads_but_cannot_refund_or_cancel(collected):
    viewer = client_as(factories.StaffFactory(permissions=VIEW_ONLY))
    live = factories.LiveCampaignFactory()

    read = viewer.get(f"/api/pledges/{collected.pk}/")
    refund = viewer.post(f"/api/pledges/{collected.pk}/refund/")
    cancel = viewer.post(f"/api/campaigns/{live.pk}/cancel/")

    assert read.status_code == 200
    assert (refund.status_code, cancel.status_code) == (404, 403)
    assert Pledge.objects.get(pk=collected.pk).state == Pledge.State.COLLECTED


def test_staff_without_permissions_see_what_any_user_sees(collected):
    bare = factories.StaffFactory(permissions=())
    client = client_as(bare)
    draft = factories.DraftCampaignFactory()

    assert client.get(f"/api/pledges/{collected.pk}/").status_code == 404
    assert client.get(f"/api/campaigns/{draft.pk}/").status_code == 404
    assert client.get(f"/api/campaigns/{collected.campaign_id}/backers.csv").status_code == 403
    assert client.get("/api/reports/campaigns.csv").status_code == 403
    assert client.get("/api/pledges/").json()["count"] == 0
