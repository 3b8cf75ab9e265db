"""The roles of the permission tests, and the campaigns they act on.

Roles: ``anonymous`` (no credentials), ``other`` (a signed-in stranger), ``backer``
(holds a pledge to the campaign), ``creator`` (owns the campaign) and ``staff``.
A test module takes the fixtures by name: ``people, live, draft = roles.people, roles.live, roles.draft``.
"""

from decimal import Decimal

import pytest

from campaigns.models import Campaign
from tests import factories
from tests.support.api import client_as

ROLES = ("anonymous", "other", "backer", "creator", "staff")


@pytest.fixture
def people(creator, staff):
    return {
        "anonymous": None,
        "other": factories.UserFactory(username="other"),
        "backer": factories.UserFactory(username="backer"),
        "creator": creator,
        "staff": staff,
    }


@pytest.fixture
def live(creator):
    return factories.LiveCampaignFactory(
        creator=creator,
        title="Live album",
        rewards=[{"title": "Signed vinyl", "minimum": Decimal("25.00"), "limit": 10}],
    )


@pytest.fixture
def draft(creator):
    return factories.DraftCampaignFactory(creator=creator, title="Secret draft")


def client_of(people, role, campaign=None):
    """The role's client; the backer first backs the campaign (a pending pledge, no card)."""
    if role == "backer" and campaign is not None and campaign.state == Campaign.State.LIVE:
        factories.PledgeFactory(campaign=campaign, backer=people["backer"], card=None)
    return client_as(people[role])


def ids(response) -> set[int]:
    return {item["id"] for item in response.json()["results"]}
