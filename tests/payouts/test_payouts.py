"""A successful campaign's creator is paid what the ledger owes, once, PAYOUT_DELAY after the
close: through the real SDK against the Connect emulator (fee 2.9 % + 30 cents a charge)."""

from decimal import Decimal

import pytest

from campaigns.services import campaign_launch
from closing.services import pledge_collect, pledge_replace_payment_method
from core.errors import NotAllowed
from payouts import services
from payouts.gateway import get_connect_gateway
from payouts.models import LedgerEntry, Payout, PayoutAccount
from payouts.selectors import campaign_statement, campaigns_due_for_payout
from payouts.signals import payout_held
from pledges.models import Pledge
from pledges.services import pledge_refund
from tests import factories
from tests.conftest import client_for
from tests.support.payouts import onboard, restrict, transfers_at_provider

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_delay(settings):
    settings.PAYOUT_DELAY = settings.PAYOUT_DELAY.__class__(0)
    settings.PAYOUT_RESERVE_PERCENT = Decimal("0")


@pytest.fixture
def creator(db):
    return factories.UserFactory(username="amanda")


def _collected_campaign(creator, *amounts: str):
    campaign = factories.LiveCampaignFactory(creator=creator, goal=Decimal("10.00"))
    pledges = [factories.PledgeFactory(campaign=campaign, amount=amount) for amount in amounts]
    factories.closed(campaign)
    for pledge in pledges:
        pledge_collect(pledge_id=pledge.pk)
    campaign.refresh_from_db()
    return campaign, pledges


def test_the_payout_transfers_the_net_once(creator):
    account = onboard(creator)
    campaign, _ = _collected_campaign(creator, "40.00", "20.00")

    payout = services.campaign_payout(campaign_id=campaign.pk)
    again = services.campaign_payout(campaign_id=campaign.pk)

    # 60.00 - 5 % (3.00) - processing (1.16 + 0.30 and 0.58 + 0.30 = 2.34) = 54.66
    assert (payout.state, payout.amount) == (Payout.State.SENT, Decimal("54.66"))
    assert again is None
    [transfer] = transfers_at_provider(get_connect_gateway(), campaign)
    assert (transfer["amount"], transfer["destination"], transfer["id"]) == (
        5466,
        account.stripe_account_id,
        payout.provider_id,
    )
    statement = campaign_statement(campaign=campaign)
    assert (statement.gross, statement.platform_fee, statement.processing_fees, statement.net) == (
        Decimal("60.00"),
        Decimal("3.00"),
        Decimal("2.34"),
        Decimal("54.66"),
    )
    assert (statement.transferred, statement.balance) == (Decimal("54.66"), Decimal("0"))


def test_nothing_moves_before_the_delay(creator, settings):
    onboard(creator)
    campaign, _ = _collected_campaign(creator, "40.00")
    settings.PAYOUT_DELAY = settings.PAYOUT_DELAY.__class__(days=14)

    assert services.campaign_payout(campaign_id=campaign.pk) is None
    assert campaigns_due_for_payout(now=campaign.closed_at + settings.PAYOUT_DELAY) == [campaign.pk]
    assert not Payout.objects.exists()


def test_a_creator_without_an_account_is_held_then_paid_once_onboarded(creator, django_capture_on_commit_callbacks):
    campaign, _ = _collected_campaign(creator, "40.00")

    held = services.campaign_payout(campaign_id=campaign.pk)
    assert (held.state, held.hold_code) == (Payout.State.HELD, "no_payout_account")
    assert "Connect a payout account" in held.hold_reason
    assert campaigns_due_for_payout(now=campaign.closed_at) == []  # the sweep leaves it alone
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        onboard(creator)
    assert len(callbacks) == 1  # pay_campaign enqueued for it
    sent = services.campaign_payout(campaign_id=campaign.pk)

    assert (sent.pk, sent.state, sent.amount) == (held.pk, Payout.State.SENT, Decimal("36.54"))
    assert len(transfers_at_provider(get_connect_gateway(), campaign)) == 1


def test_a_refund_after_the_payout_is_taken_back_by_a_reversal(creator, staff):
    onboard(creator)
    campaign, [pledge] = _collected_campaign(creator, "40.00")
    transfer = services.campaign_payout(campaign_id=campaign.pk)

    pledge_refund(pledge=pledge, by=staff)
    reversal = services.campaign_payout(campaign_id=campaign.pk)
    nothing = services.campaign_payout(campaign_id=campaign.pk)

    # Refund 40.00, the platform fee returned (2.00): -38.00; at most the 36.54 transferred comes back.
    assert (reversal.kind, reversal.amount, reversal.reverses_id) == (
        Payout.Kind.REVERSAL,
        Decimal("36.54"),
        transfer.pk,
    )
    assert nothing is None  # the processing fee left is a negative balance: shown, not moved
    [at_provider] = transfers_at_provider(get_connect_gateway(), campaign)
    assert at_provider["amount_reversed"] == 3654
    statement = campaign_statement(campaign=campaign)
    assert (statement.refunded, statement.platform_fee, statement.net, statement.transferred, statement.balance) == (
        Decimal("40.00"),
        Decimal("0"),
        Decimal("-1.46"),
        Decimal("0"),
        Decimal("-1.46"),
    )


def test_a_pledge_collected_after_the_payout_is_topped_up(creator):
    onboard(creator)
    campaign = factories.LiveCampaignFactory(creator=creator, goal=Decimal("10.00"))
    paid = factories.PledgeFactory(campaign=campaign, amount="40.00")
    late = factories.PledgeFactory(campaign=campaign, amount="20.00", card=factories.CARD_DECLINES_ON_CHARGE)
    factories.closed(campaign)
    pledge_collect(pledge_id=paid.pk)
    pledge_collect(pledge_id=late.pk)
    first = services.campaign_payout(campaign_id=campaign.pk)

    pledge_replace_payment_method(pledge=Pledge.objects.get(pk=late.pk), payment_method_id=factories.payment_method())
    top_up = services.campaign_payout(campaign_id=campaign.pk)

    assert (first.amount, top_up.amount) == (Decimal("36.54"), Decimal("18.12"))  # 20 - 1.00 - 0.88
    assert sorted(t["amount"] for t in transfers_at_provider(get_connect_gateway(), campaign)) == [1812, 3654]


def test_a_crash_after_the_providers_answer_never_transfers_twice(creator, monkeypatch):
    onboard(creator)
    campaign, _ = _collected_campaign(creator, "40.00")
    real = services.payout_record_sent

    def crash(**kwargs):
        raise SystemExit("worker killed between the provider's answer and the database write")

    gateway, sent = get_connect_gateway(), []
    create = gateway.create_transfer  # still the real call, counted: the emulator honours
    # Idempotency-Key like Stripe (for 24 hours), so a second send would not show at the provider
    monkeypatch.setattr(gateway, "create_transfer", lambda **kw: sent.append(kw) or create(**kw))
    monkeypatch.setattr(services, "payout_record_sent", crash)
    with pytest.raises(SystemExit):
        services.campaign_payout(campaign_id=campaign.pk)
    monkeypatch.setattr(services, "payout_record_sent", real)
    payout = services.campaign_payout(campaign_id=campaign.pk)

    assert payout.state == Payout.State.SENT
    assert len(sent) == 1  # the retry found the transfer by its key instead of sending it again
    [transfer] = transfers_at_provider(get_connect_gateway(), campaign)
    assert transfer["id"] == payout.provider_id
    assert LedgerEntry.objects.filter(campaign=campaign, kind=LedgerEntry.Kind.TRANSFER).count() == 1


def test_a_transfer_the_provider_refuses_is_held_with_its_reason_and_staff_told(creator):
    account = onboard(creator)
    campaign, _ = _collected_campaign(creator, "40.00")
    restrict(account)  # Stripe restricted it; account.updated has not reached us
    told = []
    payout_held.connect(lambda sender, **kw: told.append(kw["notify_staff"]), weak=False, dispatch_uid="test_told")
    try:
        held = services.campaign_payout(campaign_id=campaign.pk)
    finally:
        payout_held.disconnect(dispatch_uid="test_told")

    assert held.state == Payout.State.HELD
    assert held.hold_code and held.hold_reason
    assert told == [True]
    assert transfers_at_provider(get_connect_gateway(), campaign) == []


def test_provider_down_leaves_the_payout_pending_and_the_retry_sends_it_once(creator, settings, monkeypatch):
    onboard(creator)
    campaign, _ = _collected_campaign(creator, "40.00")
    for charge_id in campaign.pledges.values_list("charges__pk", flat=True):
        services.charge_fee_record(charge_id=charge_id)
    base = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens

    from pledges.payments import ProviderUnavailable

    with pytest.raises(ProviderUnavailable):
        services.campaign_payout(campaign_id=campaign.pk)
    pending = Payout.objects.get(campaign=campaign)
    settings.STRIPE_API_BASE = base
    gateway, calls = get_connect_gateway(), []
    find = gateway.find_transfer
    monkeypatch.setattr(gateway, "find_transfer", lambda **kw: calls.append(kw) or find(**kw))
    sent = services.campaign_payout(campaign_id=campaign.pk)

    assert pending.state == Payout.State.PENDING and pending.submitted_at is not None
    assert (sent.pk, sent.state) == (pending.pk, Payout.State.SENT)
    assert len(calls) == 1  # it may have reached the provider: looked up before it is sent
    assert len(transfers_at_provider(get_connect_gateway(), campaign)) == 1


@pytest.mark.payouts_required
def test_launch_needs_an_account_that_can_be_paid(creator):
    draft = factories.DraftCampaignFactory(creator=creator)

    refused = client_for(creator).post(f"/api/campaigns/{draft.pk}/launch/")
    onboard(creator)
    launched = client_for(creator).post(f"/api/campaigns/{draft.pk}/launch/")

    assert refused.status_code == 403
    assert refused.json()["code"] == "payouts_required"
    assert launched.status_code == 200


@pytest.mark.payouts_required
def test_an_incomplete_account_does_not_launch(creator):
    services.payout_account_get_or_create(creator=creator)
    draft = factories.DraftCampaignFactory(creator=creator)

    with pytest.raises(NotAllowed):
        campaign_launch(campaign=draft)
    assert PayoutAccount.objects.get(creator=creator).payouts_enabled is False


def test_reconcile_finds_the_books_and_the_provider_agree_and_names_a_transfer_lost_here(creator, staff):
    from reports.reconcile import reconcile

    onboard(creator)
    campaign, [pledge, _] = _collected_campaign(creator, "40.00", "20.00")
    services.campaign_payout(campaign_id=campaign.pk)
    pledge_refund(pledge=pledge, by=staff)
    services.campaign_payout(campaign_id=campaign.pk)  # the reversal

    assert reconcile(campaign_ids=[campaign.pk]) == []
    transfer = Payout.objects.get(campaign=campaign, kind=Payout.Kind.TRANSFER)
    Payout.objects.filter(pk=transfer.pk).update(provider_id="tr_lost")  # as if the write never happened

    differences = reconcile(campaign_ids=[campaign.pk])
    assert any(f"transfer {transfer.provider_id} (campaign:{campaign.pk})" in d for d in differences)
    assert any("tr_lost" in d and "unknown at the provider" in d for d in differences)


def test_the_reserve_is_kept_back_then_released_after_its_hold(creator, settings):
    import time_machine

    onboard(creator)
    settings.PAYOUT_RESERVE_PERCENT = Decimal("5")
    settings.PAYOUT_RESERVE_HOLD = settings.PAYOUT_DELAY.__class__(days=90)
    campaign, _ = _collected_campaign(creator, "40.00")

    first = services.campaign_payout(campaign_id=campaign.pk)
    early = services.campaign_payout(campaign_id=campaign.pk)
    later = campaign.closed_at + settings.PAYOUT_RESERVE_HOLD
    with time_machine.travel(later):
        assert campaigns_due_for_payout(now=later) == [campaign.pk]
        released = services.campaign_payout(campaign_id=campaign.pk)

    # 36.54 net of fees, less 5 % of the 40.00 collected (2.00) kept back; then the 2.00 alone.
    assert (first.amount, early, released.amount) == (Decimal("34.54"), None, Decimal("2.00"))
    statement = campaign_statement(campaign=campaign)
    assert (statement.reserve, statement.transferred, statement.balance) == (
        Decimal("0"),
        Decimal("36.54"),
        Decimal("0"),
    )
