"""The ledger follows collection and refunds: one entry per source and kind, platform fee exact,
its share returned with a refund; the processing fee is the provider's balance transaction's."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from campaigns.services import campaign_lock
from closing.services import charge_record_result
from payouts.models import ChargeFee, LedgerEntry
from payouts.selectors import campaign_statement
from payouts.services import charge_fee_record, platform_fee_for
from pledges.payments import get_gateway
from pledges.services import charge_record_refunds
from tests import factories

pytestmark = pytest.mark.django_db

Kind = LedgerEntry.Kind


def _entries(campaign):
    return sorted((e.kind, e.amount) for e in LedgerEntry.objects.filter(campaign=campaign))


def _refund_at_provider(charge, minor: int) -> None:
    gateway = get_gateway()
    before = gateway.refunds_of(charge.payment_intent_id).amount_minor
    key = f"test:{before}:{minor}"
    gateway.refund(payment_intent_id=charge.payment_intent_id, idempotency_key=key, amount_minor=minor)
    charge_record_refunds(charge_id=charge.pk, refunds=gateway.refunds_of(charge.payment_intent_id))


def _fee_at_provider(charge) -> int:
    """The balance transaction's fee, read here through the SDK (not through the code under test)."""
    client = get_gateway().client
    intent = client.v1.payment_intents.retrieve(charge.payment_intent_id).to_dict()
    latest = intent["latest_charge"]
    charge_id = latest if isinstance(latest, str) else latest["id"]
    txn = client.v1.charges.retrieve(charge_id).to_dict()["balance_transaction"]
    txn_id = txn if isinstance(txn, str) else txn["id"]
    return int(client.v1.balance_transactions.retrieve(txn_id).to_dict()["fee"])


def test_a_collected_pledge_writes_its_amount_and_the_platform_fee():
    pledge = factories.CollectedPledgeFactory(amount=Decimal("40.00"))

    assert _entries(pledge.campaign) == [
        (Kind.CHARGE_COLLECTED, Decimal("40.000")),
        (Kind.PLATFORM_FEE, Decimal("-2.000")),
    ]


def test_a_repeated_success_writes_nothing_twice():
    pledge = factories.CollectedPledgeFactory()
    charge = pledge.charges.get(state="succeeded")

    charge_record_result(charge_id=charge.pk, result=get_gateway().retrieve_charge(charge.payment_intent_id))

    assert LedgerEntry.objects.filter(campaign=pledge.campaign).count() == 2


@pytest.mark.parametrize(
    ("amount", "currency", "fee"),
    [
        (Decimal("40.00"), "USD", Decimal("2.00")),
        (Decimal("0.50"), "USD", Decimal("0.03")),  # 0.025, half up
        (Decimal("10.10"), "EUR", Decimal("0.51")),  # 0.505
        (Decimal("3000"), "JPY", Decimal("150")),
        (Decimal("1001"), "JPY", Decimal("50")),  # 50.05
    ],
)
def test_platform_fee_is_rounded_half_up_to_the_minor_unit(amount, currency, fee, settings):
    settings.PLATFORM_FEE_PERCENT = Decimal("5")

    assert platform_fee_for(amount=amount, currency=currency) == fee


def test_the_processing_fee_is_the_balance_transactions(django_capture_on_commit_callbacks):
    pledge = factories.CollectedPledgeFactory()
    charge = pledge.charges.get(state="succeeded")
    expected = _fee_at_provider(charge)

    fee = charge_fee_record(charge_id=charge.pk)
    again = charge_fee_record(charge_id=charge.pk)

    assert (fee.processing_fee_minor, fee.currency) == (expected, "USD")
    assert again.pk == fee.pk and ChargeFee.objects.count() == 1
    processing = LedgerEntry.objects.filter(campaign=pledge.campaign, kind=Kind.PROCESSING_FEE)
    assert [e.amount for e in processing] == ([Decimal(-expected) / 100] if expected else [])


@pytest.mark.django_db(transaction=True)
def test_a_fee_is_written_while_another_transaction_holds_the_campaigns_lock():
    """Collection's charges take the campaign's row lock one after another; the fee look-ups beside
    them do not queue behind it (it set the pace of a collection: docs/benchmarks.md)."""
    pledge = factories.CollectedPledgeFactory()
    charge = pledge.charges.get(state="succeeded")
    expected = _fee_at_provider(charge)
    assert expected > 0  # a card charge always has a fee: the ledger entry below must be written
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        try:
            with transaction.atomic():
                campaign_lock(campaign_id=pledge.campaign_id)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # waiting on the lock fails the test, not hangs it
        fee = charge_fee_record(charge_id=charge.pk)
    finally:
        release.set()
        holder.join(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")

    assert fee is not None and fee.processing_fee_minor == expected
    assert ChargeFee.objects.filter(charge=charge).count() == 1
    processing = LedgerEntry.objects.filter(charge=charge, kind=Kind.PROCESSING_FEE)
    assert [e.amount for e in processing] == [Decimal(-expected) / 100]


def test_refunds_write_what_is_new_and_return_the_platform_fees_share():
    pledge = factories.CollectedPledgeFactory(amount=Decimal("40.00"))
    charge = pledge.charges.get(state="succeeded")

    _refund_at_provider(charge, 1000)
    charge.refresh_from_db()
    charge_record_refunds(charge_id=charge.pk, refunds=get_gateway().refunds_of(charge.payment_intent_id))  # replay
    _refund_at_provider(charge, 3000)

    assert _entries(pledge.campaign) == [
        (Kind.CHARGE_COLLECTED, Decimal("40.000")),
        (Kind.PLATFORM_FEE, Decimal("-2.000")),
        (Kind.PLATFORM_FEE_REFUND, Decimal("0.500")),
        (Kind.PLATFORM_FEE_REFUND, Decimal("1.500")),
        (Kind.REFUND, Decimal("-30.000")),
        (Kind.REFUND, Decimal("-10.000")),
    ]
    statement = campaign_statement(campaign=pledge.campaign)
    assert (statement.gross, statement.refunded, statement.platform_fee, statement.net) == (
        Decimal("40.00"),
        Decimal("40.00"),
        Decimal("0"),
        Decimal("0"),
    )


def test_a_refunds_fee_share_is_rounded_on_the_running_total():
    """Three refunds of a third each return the whole fee, not three rounded thirds of it."""
    pledge = factories.CollectedPledgeFactory(amount=Decimal("10.00"))  # fee 0.50
    charge = pledge.charges.get(state="succeeded")

    for part in (333, 333, 334):
        _refund_at_provider(charge, part)
        charge.refresh_from_db()

    returned = LedgerEntry.objects.filter(campaign=pledge.campaign, kind=Kind.PLATFORM_FEE_REFUND)
    assert sorted(e.amount for e in returned) == [Decimal("0.160"), Decimal("0.170"), Decimal("0.170")]
