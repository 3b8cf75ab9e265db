"""Payout accounts: onboarding from the studio through the emulator's hosted page, the login link,
and account.updated applied from what the provider says (the event is only a hint)."""

from urllib.parse import urlsplit

import pytest
import requests

from closing.services import webhook_receive
from payouts.models import PayoutAccount
from payouts.services import payout_account_get_or_create, payout_account_onboarding_link
from tests import factories
from tests.support.payouts import restrict

pytestmark = pytest.mark.django_db


def test_a_creator_connects_from_the_studio_and_comes_back_ready(client):
    creator = factories.UserFactory(first_name="Amanda", last_name="Palmer")
    client.force_login(creator)

    started = client.post("/studio/payouts/", {"action": "connect"})
    finished = requests.post(started["Location"], data={"action": "complete"}, allow_redirects=False, timeout=10)
    back = client.get(urlsplit(finished.headers["Location"]).path)
    page = client.get("/studio/payouts/")
    dashboard = client.post("/studio/payouts/", {"action": "dashboard"})

    assert started.status_code == 302 and "/connect/setup/" in started["Location"]
    assert urlsplit(finished.headers["Location"]).path == "/studio/payouts/return/"
    assert back.status_code == 302
    account = PayoutAccount.objects.get(creator=creator)
    assert (account.details_submitted, account.payouts_enabled, account.requirements_due) == (True, True, [])
    assert "ready" in page.content.decode()
    assert dashboard.status_code == 302 and "/connect/express/" in dashboard["Location"]


def test_an_abandoned_onboarding_leaves_the_account_unfinished(client):
    creator = factories.UserFactory()
    client.force_login(creator)

    started = client.post("/studio/payouts/", {"action": "connect"})
    abandoned = requests.post(started["Location"], data={"action": "abandon"}, allow_redirects=False, timeout=10)
    back = client.get(urlsplit(abandoned.headers["Location"]).path)

    assert urlsplit(abandoned.headers["Location"]).path == "/studio/payouts/"
    assert "not finished yet" in back.content.decode()
    assert PayoutAccount.objects.get(creator=creator).payouts_enabled is False


def test_account_updated_applies_the_providers_account_not_the_events_body():
    creator = factories.UserFactory()
    account = payout_account_get_or_create(creator=creator)
    url = payout_account_onboarding_link(creator=creator, return_url="http://x/", refresh_url="http://x/")
    requests.post(url, data={"action": "complete"}, allow_redirects=False, timeout=10)
    lie = {"id": account.stripe_account_id, "payouts_enabled": False, "details_submitted": False}

    stored = webhook_receive(event={"id": "evt_1", "type": "account.updated", "data": {"object": lie}})
    account.refresh_from_db()
    assert (stored.status, account.payouts_enabled) == ("processed", True)

    restrict(account)
    webhook_receive(event={"id": "evt_2", "type": "account.updated", "data": {"object": {"id": lie["id"]}}})
    account.refresh_from_db()
    assert account.payouts_enabled is False
    assert account.requirements_due  # what the provider asks for again


def test_an_unknown_account_is_ignored():
    stored = webhook_receive(event={"id": "evt_3", "type": "account.updated", "data": {"object": {"id": "acct_x"}}})

    assert stored.status == "ignored"


def test_the_verified_name_shows_on_the_creators_campaign_page(client):
    from tests.support.payouts import onboard

    creator = factories.UserFactory()
    campaign = factories.LiveCampaignFactory(creator=creator)
    before = client.get(f"/campaigns/{campaign.slug}/").content.decode()
    account = onboard(creator)
    PayoutAccount.objects.filter(pk=account.pk).update(verified_name="Amanda Palmer")  # the emulator verifies none
    from django.core.cache import cache

    cache.clear()  # the page is cached for visitors
    after = client.get(f"/campaigns/{campaign.slug}/").content.decode()

    assert 'id="creator-verified"' not in before
    assert "Verified: Amanda Palmer" in after
