"""Staff hold and release a campaign's payouts with a reason; the creator hears of a payout sent
or held, staff of a refusal by the provider."""

from datetime import timedelta
from decimal import Decimal

import pytest

from closing.services import pledge_collect
from notifications.models import Notification
from payouts import services
from payouts.gateway import get_connect_gateway
from payouts.models import Payout
from tests import factories
from tests.conftest import client_for
from tests.support.payouts import onboard, restrict, transfers_at_provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(settings):
    settings.PAYOUT_DELAY = timedelta(0)
    creator = factories.UserFactory(username="amanda")
    onboard(creator)
    campaign = factories.LiveCampaignFactory(creator=creator, goal=Decimal("10.00"))
    pledge = factories.PledgeFactory(campaign=campaign, amount="40.00")
    factories.closed(campaign)
    pledge_collect(pledge_id=pledge.pk)
    return campaign


@pytest.fixture
def finance(db):
    return factories.StaffFactory(username="finance", permissions=["payouts.hold_payout", "payouts.view_payout"])


def test_staff_hold_then_release_and_the_creator_hears_of_both(campaign, finance, django_capture_on_commit_callbacks):
    held = client_for(finance).post(f"/api/campaigns/{campaign.pk}/payouts/hold/", {"reason": "Chargeback review"})
    payout = services.campaign_payout(campaign_id=campaign.pk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        released = client_for(finance).post(f"/api/campaigns/{campaign.pk}/payouts/release/")
    assert any(getattr(cb, "task_name", "") == "payouts.tasks.pay_campaign" for cb in callbacks)
    sent = services.campaign_payout(campaign_id=campaign.pk)

    assert held.status_code == 201
    assert (payout.state, payout.hold_code) == (Payout.State.HELD, "staff_hold")
    assert "Chargeback review" in payout.hold_reason
    assert released.json()["released"] == 1
    assert (sent.pk, sent.state) == (payout.pk, Payout.State.SENT)
    assert len(transfers_at_provider(get_connect_gateway(), campaign)) == 1
    kinds = sorted(Notification.objects.filter(recipient=campaign.creator).values_list("kind", flat=True))
    assert kinds == ["payout_held", "payout_sent"]


def test_holding_needs_the_permission_and_a_reason(campaign):
    support = factories.StaffFactory(username="support")  # the support staff's permissions only
    finance = factories.StaffFactory(username="finance", permissions=["payouts.hold_payout"])

    refused = client_for(support).post(f"/api/campaigns/{campaign.pk}/payouts/hold/", {"reason": "x"})
    creator = client_for(campaign.creator).post(f"/api/campaigns/{campaign.pk}/payouts/release/")
    no_reason = client_for(finance).post(f"/api/campaigns/{campaign.pk}/payouts/hold/", {"reason": " "})
    missing = client_for(finance).post("/api/campaigns/999999/payouts/hold/", {"reason": "x"})

    assert (refused.status_code, creator.status_code, missing.status_code) == (403, 403, 404)
    assert no_reason.status_code == 400


def test_a_refusal_tells_the_creator_and_the_staff_who_may_release_it(campaign, finance):
    factories.StaffFactory(username="support")  # may not hold payouts: not told
    restrict(campaign.creator.payout_account)

    payout = services.campaign_payout(campaign_id=campaign.pk)

    assert payout.state == Payout.State.HELD
    told = sorted(
        Notification.objects.filter(kind__in=["payout_held", "payout_refused"]).values_list(
            "kind", "recipient__username"
        )
    )
    assert told == [("payout_held", "amanda"), ("payout_refused", "finance")]


def test_the_creators_payout_mail_names_the_amount_and_links_the_statement(campaign, mailoutbox, settings):
    from notifications.services import notifications_send

    services.campaign_payout(campaign_id=campaign.pk)
    notifications_send()

    [mail] = [m for m in mailoutbox if "payout" in m.subject]
    assert mail.to == [campaign.creator.email]
    assert mail.subject == f"Your payout for {campaign.title} is on its way"
    assert "$36.54" in mail.body
    assert f"/studio/{campaign.slug}/statement/" in mail.body
