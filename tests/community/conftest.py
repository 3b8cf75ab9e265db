import pytest

from pledges.services import pledge_cancel
from tests import factories


@pytest.fixture
def campaign(creator):
    return factories.LiveCampaignFactory(creator=creator, title="Art book")


@pytest.fixture
def backer(campaign):
    pledge = factories.PledgeFactory(campaign=campaign, backer=factories.UserFactory(username="backer"))
    return pledge.backer


@pytest.fixture
def canceled_backer(campaign):
    pledge = factories.PledgeFactory(campaign=campaign, backer=factories.UserFactory(username="gone"))
    pledge_cancel(pledge=pledge)
    return pledge.backer


@pytest.fixture
def moderator(db):
    return factories.StaffFactory(
        username="moderator", permissions=("community.change_comment", "community.change_report")
    )
