"""manage.py reconcile: totals, pledges, charges, stock and the provider agree, and each kind
of difference is found and said plainly."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from campaigns.models import Campaign
from pledges.models import Charge, Pledge
from pledges.payments import get_gateway
from pledges.services import pledge_cancel
from reports.reconcile import reconcile
from rewards.models import AddOn, RewardTier
from rewards.services import add_on_create
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.provider_store_per_module]  # books: conftest.py


def _ids(books) -> list[int]:
    return [campaign.pk for campaign in books.campaigns]


def test_books_kept_by_the_services_reconcile_with_no_difference(books, capsys):
    assert reconcile(campaign_ids=_ids(books)) == []
    call_command("reconcile", *map(str, _ids(books)))
    assert capsys.readouterr().out.strip() == "No differences."


def test_a_running_total_that_drifted_is_reported(books):
    live = books.by_state["live"]
    Campaign.objects.filter(pk=live.pk).update(
        pledged=F("pledged") + Decimal("1.00"), backers_count=F("backers_count") + 1
    )

    assert reconcile(campaign_ids=[live.pk], provider=False) == [
        f"campaign {live.pk} (Live one): pledged total 26.000 but its pledges add up to 25.000",
        f"campaign {live.pk} (Live one): 2 backers counted but 1 pledges count",
    ]


def test_stock_that_does_not_match_its_pledges_is_reported(books):
    successful = books.by_state["successful"]
    vinyl = successful.rewards.get()
    RewardTier.objects.filter(pk=vinyl.pk).update(claimed=5)  # (overselling is refused by the database)

    assert reconcile(campaign_ids=[successful.pk], provider=False) == [
        f"campaign {successful.pk} (Funded one): tier {vinyl.pk} (Vinyl) claims 5 but 2 pledges hold it"
    ]


def test_add_on_stock_that_does_not_match_its_pledges_is_reported():
    campaign = factories.LiveCampaignFactory(
        title="Poster shop", rewards=[{"title": "Print", "minimum": Decimal("10")}]
    )
    poster = add_on_create(campaign=campaign, title="Poster", price=Decimal("5.00"), limit=10, max_per_backer=3)
    kept = factories.PledgeFactory(
        campaign=campaign, amount="25.00", reward=campaign.rewards.get(), add_ons={poster.pk: 3}
    )
    gone = factories.PledgeFactory(
        campaign=campaign, amount="20.00", reward=campaign.rewards.get(), add_ons={poster.pk: 2}
    )
    pledge_cancel(pledge=gone)
    assert AddOn.objects.get(pk=poster.pk).claimed == kept.add_on_lines.get().quantity == 3
    assert reconcile(campaign_ids=[campaign.pk], provider=False) == []

    AddOn.objects.filter(pk=poster.pk).update(claimed=5)  # as if a release had been lost

    assert reconcile(campaign_ids=[campaign.pk], provider=False) == [
        f"campaign {campaign.pk} (Poster shop): add-on {poster.pk} (Poster) claims 5 but pledges hold 3"
    ]


def test_a_second_payment_at_the_provider_is_reported(books):
    collected = books.pledges["collected"]
    get_gateway().charge_off_session(
        customer_id=collected.stripe_customer_id,
        payment_method_id=collected.payment_method_id,
        amount_minor=4000,
        currency="usd",
        idempotency_key="a-stray-retry",
        metadata={"pledge_id": str(collected.pk)},
    )

    [difference] = reconcile(campaign_ids=_ids(books))

    assert difference.startswith(f"pledge {collected.pk}: paid 2 times at the provider (pi_")


def test_a_refund_made_at_the_provider_and_not_recorded_is_reported(books):
    charge = Charge.objects.get(pledge=books.pledges["collected"], state=Charge.State.SUCCEEDED)
    get_gateway().refund(payment_intent_id=charge.payment_intent_id, idempotency_key="dashboard", amount_minor=500)

    assert reconcile(campaign_ids=_ids(books)) == [
        f"charge {charge.idempotency_key}: refunded 0.000 here, 5.00 at the provider"
    ]


def test_a_collected_pledge_without_its_charge_fails_the_command(books, capsys):
    collected = books.pledges["collected"]
    successful = books.by_state["successful"]
    Pledge.objects.filter(pk=books.pledges["errored"].pk).update(state=Pledge.State.COLLECTED)

    with pytest.raises(CommandError, match=r"^1 difference\(s\)$"):
        call_command("reconcile", str(successful.pk), "--no-provider")

    assert capsys.readouterr().out.strip() == (
        f"campaign {successful.pk} (Funded one): pledge {books.pledges['errored'].pk} is collected "
        "with 0 succeeded charge(s)"
    )
    assert Pledge.objects.get(pk=collected.pk).state == Pledge.State.COLLECTED
