"""A successful campaign whose backers' pledges were collected: a digital tier, a vinyl tier that
ships (it charges shipping), and a backer without a reward."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from closing.services.collection import pledge_collect
from fulfilment.services import survey_save, survey_send
from pledges.models import Pledge
from tests import factories
from tests.support import once


@pytest.fixture(scope="module")
def _funded_of_the_module(request, django_db_setup, django_db_blocker):
    """Built once per module (tests/support/once.py): the modules using it are marked
    ``provider_store_per_module``."""
    yield from once.built_once(request, django_db_blocker, _build_funded)


@pytest.fixture
def funded(_funded_of_the_module, db):
    return once.each_test(_funded_of_the_module)


@pytest.fixture
def creator(db):
    """The funded campaign's creator, once the module built it."""
    return User.objects.filter(username="creator").first() or factories.UserFactory(username="creator")


def _build_funded():
    creator = factories.UserFactory(username="creator")
    campaign = factories.LiveCampaignFactory(
        creator=creator,
        goal=Decimal("10.00"),
        rewards=[
            {"title": "Digital album", "minimum": Decimal("5")},
            {"title": "Vinyl", "minimum": Decimal("30"), "shipping": Decimal("8")},
        ],
    )
    digital, vinyl = campaign.rewards.order_by("minimum")
    pledges = {
        "digital": factories.PledgeFactory(campaign=campaign, amount="5", reward=digital),
        "vinyl": factories.PledgeFactory(campaign=campaign, amount="38", reward=vinyl),
        "vinyl2": factories.PledgeFactory(campaign=campaign, amount="40", reward=vinyl),
        "none": factories.PledgeFactory(campaign=campaign, amount="3"),
    }
    factories.closed(campaign)
    for pledge in pledges.values():
        pledge_collect(pledge_id=pledge.pk)
    pledges = {name: Pledge.objects.select_related("reward").get(pk=p.pk) for name, p in pledges.items()}
    return {"campaign": campaign, "digital": digital, "vinyl": vinyl, "pledges": pledges}


def questions(funded):
    return [
        {"kind": "text", "prompt": "Name for the credits", "required": True},
        {"kind": "choice", "prompt": "Vinyl colour", "tier": funded["vinyl"].pk, "choices": ["Black", "Red"]},
        {
            "kind": "choices",
            "prompt": "Bonus tracks",
            "tier": funded["vinyl"].pk,
            "choices": ["Live", "Demo", "Remix"],
            "required": False,
        },
    ]


@pytest.fixture
def survey(funded):
    return survey_save(
        campaign=funded["campaign"],
        user=funded["campaign"].creator,
        lock_at=timezone.now() + timedelta(days=30),
        questions=questions(funded),
    )


@pytest.fixture
def sent_survey(survey, funded):
    return survey_send(survey=survey, user=funded["campaign"].creator)


GOOD_DE_ADDRESS = {
    "name": "Anna Schmidt",
    "address1": "Unter den Linden 1",
    "city": "Berlin",
    "postal_code": "10117",
    "country": "DE",
}
