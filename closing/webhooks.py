"""Stripe webhook events: stored once by id (a unique constraint), then handled in a transaction.

Events may come late, twice or out of order; every handler only moves a record
forward from the state it expects, so a replay or a stale event changes nothing.
"""

import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone

from closing.collection import charge_record_result
from core.errors import DomainError
from pledges.models import Charge, Pledge, WebhookEvent
from pledges.payments import ChargeResult
from pledges.services import pledge_activate_from_setup, pledge_record_refund_from_provider

log = logging.getLogger(__name__)


def _charge_result(intent: dict, status: str) -> ChargeResult:
    error = intent.get("last_payment_error") or {}
    return ChargeResult(
        payment_intent_id=intent["id"],
        status=status,
        amount_minor=int(intent.get("amount") or 0),
        currency=str(intent.get("currency") or ""),
        failure_code=error.get("decline_code") or error.get("code"),
        failure_message=error.get("message"),
    )


def _charge_for(intent: dict) -> Charge | None:
    charge = Charge.objects.filter(payment_intent_id=intent["id"]).first()
    if charge is None:
        key = (intent.get("metadata") or {}).get("idempotency_key")
        charge = Charge.objects.filter(idempotency_key=key).first() if key else None
    return charge


def _on_payment_intent(status: str) -> Callable[[dict], bool]:
    """payment_intent.succeeded / payment_failed: what a crashed worker could not record."""

    def handle(event: dict) -> bool:
        intent = event["data"]["object"]
        charge = _charge_for(intent)
        if charge is None:
            return False
        charge_record_result(charge_id=charge.pk, result=_charge_result(intent, status))
        return True

    return handle


def on_setup_intent_succeeded(event: dict) -> bool:
    setup = event["data"]["object"]
    pledge = Pledge.objects.filter(setup_intent_id=setup["id"], state=Pledge.State.PENDING).first()
    if pledge is None:
        return False
    pledge_activate_from_setup(pledge=pledge, payment_method_id=setup.get("payment_method"))
    return True


def on_charge_refunded(event: dict) -> bool:
    charge = event["data"]["object"]
    intent_id = charge.get("payment_intent")
    refunds = (charge.get("refunds") or {}).get("data") or []
    refund_id = refunds[0]["id"] if refunds else ""
    return bool(intent_id) and pledge_record_refund_from_provider(payment_intent_id=intent_id, refund_id=refund_id)


def on_dispute_created(event: dict) -> bool:
    dispute = event["data"]["object"]
    updated = Charge.objects.filter(
        payment_intent_id=dispute.get("payment_intent") or "", disputed_at__isnull=True
    ).update(disputed_at=timezone.now())
    if updated:
        log.warning("dispute opened on payment %s", dispute.get("payment_intent"))
    return bool(updated)


HANDLERS: dict[str, Callable[[dict], bool]] = {
    "payment_intent.succeeded": _on_payment_intent("succeeded"),
    "payment_intent.payment_failed": _on_payment_intent("failed"),
    "setup_intent.succeeded": on_setup_intent_succeeded,
    "charge.refunded": on_charge_refunded,
    "charge.dispute.created": on_dispute_created,
}


def webhook_receive(*, event: dict) -> WebhookEvent | None:
    """Store and handle a verified event in one transaction; None when its id was seen before.

    If handling fails the whole transaction rolls back and the error propagates, so
    the provider gets a 500 and delivers the event again later.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                stored = WebhookEvent.objects.create(event_id=event["id"], type=event["type"], payload=event)
        except IntegrityError:
            return None
        handler = HANDLERS.get(event["type"])
        try:
            with transaction.atomic():
                applied = handler(event) if handler else False
        except DomainError as error:  # e.g. the pending pledge expired meanwhile: nothing to redo later
            applied, stored.error = False, error.message
        stored.status = WebhookEvent.Status.PROCESSED if applied else WebhookEvent.Status.IGNORED
        stored.processed_at = timezone.now()
        stored.save(update_fields=["status", "error", "processed_at"])
    return stored
