"""A backer's "download my data" holds what the later apps keep about them: the destination and
add-ons of each pledge, their survey answers with the shipping address, the shipment, their
comments, the reports they filed and whom they follow; nothing of another backer's."""

import json
from decimal import Decimal

import pytest
from django.test import Client

from community.services import comment_post, creator_follow, report_file
from fulfilment.services import fulfilment_update, survey_answer
from rewards.services import add_on_create
from tests import factories
from tests.fulfilment.conftest import GOOD_DE_ADDRESS

pytestmark = pytest.mark.provider_store_per_module  # funded: conftest.py


def _answers(survey) -> dict[str, str]:
    """The required text question and the vinyl colour; the optional bonus tracks left out."""
    given = {"text": "Anna", "choice": "Black"}
    return {str(q.pk): given[q.kind] for q in survey.questions.all() if q.kind in given}


def _download(user) -> dict:
    client = Client()
    client.force_login(user)
    response = client.get("/me/account/data.json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_download_holds_destinations_add_ons_answers_address_shipment_and_community(funded, sent_survey):
    campaign, vinyl_pledge = funded["campaign"], funded["pledges"]["vinyl"]
    backer = vinyl_pledge.backer
    survey_answer(
        pledge=vinyl_pledge,
        user=backer,
        answers=_answers(sent_survey),
        address={**GOOD_DE_ADDRESS, "phone": "+49 30 1234567"},
    )
    fulfilment_update(
        pledge=vinyl_pledge, user=campaign.creator, status="shipped", carrier="DHL", tracking_number="JJD0001"
    )
    comment = comment_post(author=backer, campaign=campaign, body="Can't **wait**.")
    report_file(reporter=backer, campaign=campaign, reason="other", text="Wrong photo.")
    creator_follow(user=backer, creator=campaign.creator)
    shop = factories.LiveCampaignFactory(title="Poster shop", rewards=[{"title": "Print", "minimum": Decimal("10")}])
    poster = add_on_create(campaign=shop, title="Poster", price=Decimal("12.50"), max_per_backer=2)
    with_add_on = factories.PledgeFactory(
        campaign=shop, backer=backer, amount="35.00", reward=shop.rewards.get(), add_ons={poster.pk: 2}
    )
    other = funded["pledges"]["vinyl2"]
    survey_answer(
        pledge=other,
        user=other.backer,
        answers=_answers(sent_survey),
        address={**GOOD_DE_ADDRESS, "name": "Someone Else"},
    )

    data = _download(backer)

    pledges = {p["id"]: p for p in data["pledges"]}
    assert (pledges[vinyl_pledge.pk]["shipping_country"], pledges[vinyl_pledge.pk]["shipping_amount"]) == (
        str(vinyl_pledge.shipping_country),
        "8.00",
    )
    assert pledges[with_add_on.pk]["add_ons"] == [{"title": "Poster", "quantity": 2, "unit_price": "12.50"}]
    assert pledges[with_add_on.pk]["late"] is False
    (answered,) = data["survey_answers"]
    assert answered["pledge"] == vinyl_pledge.pk and answered["shipping_address"]["name"] == "Anna Schmidt"
    assert answered["shipping_address"]["postal_code"] == "10117" and answered["shipping_address"]["country"] == "DE"
    assert [(s["pledge"], s["status"], s["carrier"], s["tracking_number"]) for s in data["shipments"]] == [
        (vinyl_pledge.pk, "shipped", "DHL", "JJD0001")
    ]
    assert [(c["id"], c["body"], c["hidden"]) for c in data["comments"]] == [(comment.pk, "Can't **wait**.", False)]
    assert [(r["campaign"], r["reason"], r["text"]) for r in data["reports_filed"]] == [
        (campaign.pk, "other", "Wrong photo.")
    ]
    assert [f["creator"] for f in data["follows"]["creators"]] == [campaign.creator.username]
    assert data["payout_account"] is None
    assert "Someone Else" not in json.dumps(data)
