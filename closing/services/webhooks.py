"""Stripe webhook events: stored once by id (a unique constraint), then acted on.

An event's body is only a hint of what changed: for everything that moves money or
state the object is fetched from the provider and what the provider says is applied.
Events may come late, twice or out of order; every handler only moves a record
forward from the state it expects, so a replay or a stale event changes nothing.
No database transaction is open while the provider is asked.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from closing.services.collection import charge_record_result
from core.errors import DomainError, ServiceUnavailable
from pledges.models import Charge, Pledge, WebhookEvent
from pledges.payments import PaymentError, ProviderUnavailable, get_gateway
from pledges.services import charge_record_refunds, pledge_activate_from_setup

log = logging.getLogger(__name__)


class Ignored(DomainError):
    """The event asks for nothing we can or should do; recorded with the reason."""


def _object(event: dict[str, Any]) -> dict[str, Any]:
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        raise Ignored("The event carries no object.", code="malformed_event")
    return obj


def on_payment_intent(event: dict[str, Any]) -> bool:
    """payment_intent.succeeded / payment_failed: what a crashed worker could not record."""
    hint = _object(event)
    charge = Charge.objects.filter(payment_intent_id=hint["id"]).first()
    if charge is None:
        key = (hint.get("metadata") or {}).get("idempotency_key")
        charge = Charge.objects.filter(idempotency_key=key).first() if isinstance(key, str) else None
    if charge is None:
        return False
    result = get_gateway().retrieve_charge(hint["id"])
    if charge.payment_intent_id != result.payment_intent_id and charge.idempotency_key != result.idempotency_key:
        raise Ignored("The provider's payment is not this charge's.", code="foreign_payment")
    charge_record_result(charge_id=charge.pk, result=result)
    return True


def on_setup_intent_succeeded(event: dict[str, Any]) -> bool:
    hint = _object(event)
    pledge = Pledge.objects.filter(setup_intent_id=hint["id"], state=Pledge.State.PENDING).first()
    if pledge is None:
        return False
    setup = get_gateway().retrieve_setup_intent(hint["id"])
    if not setup.succeeded:
        raise Ignored(f"The provider says the card is not saved (SetupIntent {setup.status}).", code="not_succeeded")
    pledge_activate_from_setup(pledge=pledge, payment_method_id=setup.payment_method_id)
    return True


def on_charge_refunded(event: dict[str, Any]) -> bool:
    """Also sent for partial refunds: the provider's total of refunds is what counts."""
    intent_id = _object(event).get("payment_intent")
    if not isinstance(intent_id, str) or not intent_id:
        return False
    charge = Charge.objects.filter(payment_intent_id=intent_id, state=Charge.State.SUCCEEDED).first()
    if charge is None:
        return False
    return charge_record_refunds(charge_id=charge.pk, refunds=get_gateway().refunds_of(intent_id))


def on_dispute_created(event: dict[str, Any]) -> bool:
    dispute = _object(event)
    updated = Charge.objects.filter(
        payment_intent_id=dispute.get("payment_intent") or "", disputed_at__isnull=True
    ).update(disputed_at=timezone.now())
    if updated:
        log.warning("dispute opened on payment %s", dispute.get("payment_intent"))
    return bool(updated)


HANDLERS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "payment_intent.succeeded": on_payment_intent,
    "payment_intent.payment_failed": on_payment_intent,
    "setup_intent.succeeded": on_setup_intent_succeeded,
    "charge.refunded": on_charge_refunded,
    "charge.dispute.created": on_dispute_created,
}


def webhook_handler_register(*, event_type: str, handler: Callable[[dict[str, Any]], bool]) -> None:
    """For the apps above closing (payouts: ``account.updated``), called from their ready():
    the handler is dispatched like ours, True when it applied something."""
    existing = HANDLERS.setdefault(event_type, handler)
    if existing is not handler:
        raise ValueError(f"a handler for {event_type} is registered already")


def webhook_receive(*, event: dict[str, Any]) -> WebhookEvent | None:
    """Store a verified event, then handle it; None when it was handled before.

    The row is committed first, so it survives whatever follows. If handling fails
    (the provider does not answer, the database goes away) the error propagates, the
    row stays ``received``, and the provider's next delivery of the same event handles
    it then. A refusal by our own rules is recorded and acknowledged, not retried.
    """
    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.create(event_id=event["id"], type=event["type"], payload=event)
    except IntegrityError:
        stored = WebhookEvent.objects.get(event_id=event["id"])
        if stored.status != WebhookEvent.Status.RECEIVED:
            return None
    handler = HANDLERS.get(event["type"])
    error = ""
    try:
        applied = handler(event) if handler else False
    except (ProviderUnavailable, ServiceUnavailable):
        raise  # the provider will deliver the event again
    except DomainError as refusal:  # e.g. the pending pledge expired meanwhile: nothing to redo later
        applied, error = False, refusal.message
    except PaymentError as refusal:  # e.g. the provider knows no such object
        applied, error = False, f"The provider refused to tell: {refusal.message}"
    status = WebhookEvent.Status.PROCESSED if applied else WebhookEvent.Status.IGNORED
    WebhookEvent.objects.filter(pk=stored.pk).update(status=status, error=error, processed_at=timezone.now())
    stored.refresh_from_db()
    return stored
