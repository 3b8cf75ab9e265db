from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from core.unsubscribe import unsubscribe_token
from tests import factories
from tests.conftest import client_for
from updates.models import CampaignUpdate, UpdateDelivery
from updates.services import update_deliveries_create, update_deliveries_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(creator):
    return factories.LiveCampaignFactory(
        creator=creator,
        rewards=[
            {"title": "Digital album", "minimum": Decimal("5")},
            {"title": "Vinyl", "minimum": Decimal("30")},
        ],
    )


@pytest.fixture
def people(campaign):
    digital, vinyl = campaign.rewards.order_by("minimum")
    return {
        "digital": factories.PledgeFactory(campaign=campaign, amount="5", reward=digital).backer,
        "vinyl": factories.PledgeFactory(campaign=campaign, amount="30", reward=vinyl).backer,
        "stranger": factories.UserFactory(),
    }


def _post(campaign, audience="public", tiers=None, body="Hello **backers**"):
    payload = {"title": f"News for {audience}", "body": body, "audience": audience}
    if tiers is not None:
        payload["tiers"] = tiers
    return client_for(campaign.creator).post(f"/api/campaigns/{campaign.pk}/updates/", payload, format="json")


def _titles(client, campaign):
    response = client.get(f"/api/campaigns/{campaign.pk}/updates/")
    assert response.status_code == 200
    return {u["title"] for u in response.json()["results"]}


def test_creator_publishes_a_numbered_update_rendered_safely(campaign):
    response = _post(campaign, body="Hi <script>alert(1)</script> [x](javascript:alert(1)) **bold**")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"] == 1
    assert "<strong>bold</strong>" in body["body_html"]
    assert "<script" not in body["body_html"]
    assert "javascript:" not in body["body_html"]
    assert _post(campaign).json()["number"] == 2


def test_backers_only_updates_are_seen_by_backers_and_the_creator_only(campaign, people, api_client):
    _post(campaign, "public")
    secret = _post(campaign, "backers").json()

    assert _titles(api_client, campaign) == {"News for public"}
    assert _titles(client_for(people["stranger"]), campaign) == {"News for public"}
    assert _titles(client_for(people["digital"]), campaign) == {"News for public", "News for backers"}
    assert _titles(client_for(campaign.creator), campaign) == {"News for public", "News for backers"}
    detail = f"/api/campaigns/{campaign.pk}/updates/{secret['id']}/"
    assert client_for(people["stranger"]).get(detail).status_code == 404
    assert api_client.get(detail).status_code == 404
    assert client_for(people["vinyl"]).get(detail).status_code == 200


def test_tier_updates_reach_only_the_backers_of_those_tiers(campaign, people):
    vinyl = campaign.rewards.get(title="Vinyl")
    update = _post(campaign, "tiers", tiers=[vinyl.pk]).json()

    assert _titles(client_for(people["vinyl"]), campaign) == {"News for tiers"}
    assert _titles(client_for(people["digital"]), campaign) == set()
    update_deliveries_create(update_id=update["id"])
    assert list(UpdateDelivery.objects.values_list("recipient", flat=True)) == [people["vinyl"].pk]


def test_update_input_is_checked(campaign, people):
    other_tier = factories.LiveCampaignFactory(rewards=[{"title": "x", "minimum": Decimal("1")}]).rewards.get()

    assert _post(campaign, "tiers", tiers=[other_tier.pk]).status_code == 400
    assert _post(campaign, "tiers", tiers=[]).status_code == 400
    assert _post(campaign, "everyone").status_code == 400
    stranger = client_for(people["stranger"]).post(
        f"/api/campaigns/{campaign.pk}/updates/", {"title": "x", "body": "y"}, format="json"
    )
    assert stranger.status_code == 403
    draft = factories.DraftCampaignFactory(creator=campaign.creator)
    assert _post(draft).status_code == 409
    assert not CampaignUpdate.objects.filter(campaign=draft).exists()


def test_an_update_can_be_edited_for_thirty_minutes_then_it_is_frozen(campaign):
    update = _post(campaign).json()
    url = f"/api/campaigns/{campaign.pk}/updates/{update['id']}/"
    client = client_for(campaign.creator)

    fixed = client.patch(url, {"title": "Typo fixed"}, format="json")
    with time_machine.travel(CampaignUpdate.objects.get().published_at + timedelta(minutes=31)):
        frozen = client.patch(url, {"title": "Too late"}, format="json")

    assert fixed.status_code == 200
    assert fixed.json()["title"] == "Typo fixed"
    assert frozen.status_code == 409
    assert frozen.json()["code"] == "update_frozen"
    assert CampaignUpdate.objects.get().title == "Typo fixed"


def test_the_fan_out_mails_each_backer_once_and_never_a_stranger(campaign, people, api_client):
    update = _post(campaign, "backers", body="Secret **mixing** notes").json()

    assert update_deliveries_create(update_id=update["id"]) == 2
    assert update_deliveries_create(update_id=update["id"]) == 0  # a duplicated task adds nobody
    mail.outbox.clear()
    assert update_deliveries_send(update_id=update["id"]) == 2
    assert update_deliveries_send(update_id=update["id"]) == 0

    assert sorted(m.to[0] for m in mail.outbox) == sorted([people["digital"].email, people["vinyl"].email])
    message = mail.outbox[0]
    assert "Secret **mixing** notes" in message.body
    assert "<strong>mixing</strong>" in message.alternatives[0][0]
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert CampaignUpdate.objects.get(pk=update["id"]).fanout_finished_at is not None


def test_a_backer_who_unsubscribed_from_the_campaign_gets_no_updates(campaign, people, client):
    token = unsubscribe_token(user_id=people["digital"].pk, campaign_id=campaign.pk)
    assert client.post(f"/unsubscribe/{token}/").status_code == 200
    update = _post(campaign, "public").json()

    update_deliveries_create(update_id=update["id"])

    assert list(UpdateDelivery.objects.values_list("recipient", flat=True)) == [people["vinyl"].pk]
