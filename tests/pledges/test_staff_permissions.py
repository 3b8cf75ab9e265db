"""A staff member refunds a pledge by the permission to, not by being staff."""

import pytest

from tests import factories
from tests.support.api import client_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def collected():
    return factories.CollectedPledgeFactory()


def test_a_staff_member_allowed_to_refund_refunds(collected):
    refunder = client_as(factories.StaffFactory(permissions=("pledges.view_pledge", "pledges.refund_pledge")))

    response = refunder.post(f"/api/pledges/{collected.pk}/refund/")

    assert (response.status_code, response.json()["state"]) == (200, "refunded")
