"""A creator gets paid, in Debian's Chromium against localstripe's Connect emulator: connect a
payout account through the emulator's hosted onboarding, launch (PAYOUTS_REQUIRED_TO_LAUNCH on),
backers pledge, the campaign closes and collects, the payout runs (PAYOUT_DELAY 0), the
statement shows net = gross - 5 % - processing fees, and a refund after the payout is taken
back by a reversal that the statement follows."""

from datetime import timedelta
from decimal import Decimal

import pytest

from campaigns.models import Campaign
from closing.services import pledge_collect
from payouts import services
from payouts.models import Payout
from pledges.services import pledge_refund
from tests import factories
from tests.web.conftest import PASSWORD, check_page

pytestmark = [pytest.mark.browser, pytest.mark.payouts_required, pytest.mark.django_db(transaction=True)]


def test_a_creator_connects_launches_is_paid_and_sees_a_refund_reversed(browser_page, live_server, settings):
    settings.PAYOUT_DELAY = timedelta(0)
    page, base = browser_page, live_server.url
    maya = factories.UserFactory(username="maya", email="maya@example.com", password=PASSWORD)
    draft = factories.DraftCampaignFactory(creator=maya, title="Pocket Atlas", goal=Decimal("50.00"))

    page.goto(base + "/login/?next=/studio/payouts/")
    page.get_by_label("Username or e-mail").fill("maya")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Connect a payout account").click()
    page.get_by_role("button", name="Complete onboarding").click()  # the emulator's hosted page
    page.get_by_text("Your payout account is ready to receive payouts.").wait_for()
    check_page(page, "studio-payouts")

    page.goto(f"{base}/studio/{draft.slug}/")
    page.get_by_role("button", name="Launch").click()
    page.get_by_text("Your campaign is live.").wait_for()
    campaign = Campaign.objects.get(pk=draft.pk)
    assert campaign.state == Campaign.State.LIVE

    pledges = [factories.PledgeFactory(campaign=campaign, amount=amount) for amount in ("40.00", "20.00")]
    factories.closed(campaign)
    for pledge in pledges:
        pledge_collect(pledge_id=pledge.pk)
    transfer = services.campaign_payout(campaign_id=campaign.pk)
    assert transfer.state == Payout.State.SENT

    page.goto(f"{base}/studio/{campaign.slug}/statement/")
    check_page(page, "studio-statement")
    # 60.00 - 3.00 (5 %) - 2.34 (2.9 % + 0.30 a charge: 1.46 and 0.88) = 54.66
    assert page.locator("#statement-gross td").inner_text() == "$60.00"
    assert page.locator("#statement-platform-fee td").inner_text() == "$3.00"
    assert page.locator("#statement-processing-fees td").inner_text() == "$2.34"
    assert page.locator("#statement-net td").inner_text() == "$54.66"
    assert page.locator("#statement-transferred td").inner_text() == "$54.66"

    staff = factories.StaffFactory(username="finance")
    pledge_refund(pledge=pledges[1], by=staff)
    reversal = services.campaign_payout(campaign_id=campaign.pk)
    page.reload()

    # The 20.00 refunded, its 1.00 fee returned: 19.00 taken back from the transfer.
    assert (reversal.kind, reversal.amount) == (Payout.Kind.REVERSAL, Decimal("19.00"))
    assert page.locator("#statement-refunded td").inner_text() == "$20.00"
    assert page.locator("#statement-net td").inner_text() == "$35.66"
    assert page.locator("#statement-transferred td").inner_text() == "$35.66"
    assert page.locator(f"#transfer-{reversal.pk} td").first.inner_text() == "Transfer reversal"
