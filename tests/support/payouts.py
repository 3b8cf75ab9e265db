"""Creators' payout accounts in tests: onboarded through the Connect emulator's own page."""

import requests
from django.conf import settings

from payouts.models import PayoutAccount
from payouts.services import payout_account_onboarding_link, payout_account_sync


def onboard(creator) -> PayoutAccount:
    """Create the creator's Express account, complete its onboarding on the emulator's page (as
    the creator's browser would) and sync it from the provider (what account.updated does)."""
    url = payout_account_onboarding_link(
        creator=creator, return_url="http://testserver/studio/", refresh_url="http://testserver/studio/payouts/"
    )
    done = requests.post(url, data={"action": "complete"}, allow_redirects=False, timeout=10)
    assert done.status_code == 303, done.text
    account = PayoutAccount.objects.get(creator=creator)
    return payout_account_sync(stripe_account_id=account.stripe_account_id)


def restrict(account: PayoutAccount, reason: str = "rejected.fraud") -> None:
    """The provider restricts the account (the emulator's test-only endpoint); we are not told yet."""
    base = settings.STRIPE_API_BASE.rstrip("/")
    response = requests.post(
        f"{base}/_config/accounts/{account.stripe_account_id}/restrict", data={"disabled_reason": reason}, timeout=10
    )
    response.raise_for_status()


def transfers_at_provider(gateway, campaign) -> list[dict]:
    page = gateway.client.v1.transfers.list(params={"transfer_group": f"campaign:{campaign.pk}", "limit": 100})
    return [t.to_dict() for t in page.auto_paging_iter()]
