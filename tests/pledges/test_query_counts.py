"""The pledge intake's queries, counted: the hot write of a burst like Amanda Palmer's."""

from decimal import Decimal

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return factories.LiveCampaignFactory(
        goal=Decimal("100.00"),
        rewards=[
            {"title": "Signed vinyl", "minimum": Decimal("10.00"), "limit": 1},
            {"title": "Download", "minimum": Decimal("5.00")},
        ],
    )


def test_pledge_intake_query_count_is_pinned(campaign, django_assert_num_queries):
    """POST /api/pledges/ with a card: token, campaign, tier, no live pledge yet, the Customer
    (looked up, then under an advisory lock made and saved), then one transaction: campaign
    lock, tier claim, the pledge, the totals, the goal check, the confirmation e-mail's row;
    a pledge written without add-ons answers without reading them back."""
    from rest_framework.test import APIClient

    from accounts.tokens import token_issue

    backer = factories.UserFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=backer)}")
    reward = campaign.rewards.get(title="Signed vinyl")
    body = {
        "campaign": campaign.pk,
        "reward": reward.pk,
        "amount": "10.00",
        "payment_method": factories.payment_method(),
    }
    # 16 statements (the token's first use is written down) and the test transaction's 4
    # savepoint commands
    with django_assert_num_queries(20):
        assert client.post("/api/pledges/", body, format="json").status_code == 201

    other = factories.LiveCampaignFactory(goal=Decimal("50.00"))
    body = {"campaign": other.pk, "amount": "10.00", "payment_method": factories.payment_method()}
    with django_assert_num_queries(13):  # the Customer is known: one look-up, no lock, no insert
        assert client.post("/api/pledges/", body, format="json").status_code == 201
