"""Collecting pledges: at most one successful charge per pledge, whatever happens.

A pledge's collection runs under a PostgreSQL session advisory lock on the pledge, so
no two workers ever work on one of its attempts, and a worker that dies drops its lock
with its connection. Under it, a Charge row with its idempotency key is committed
first, marked ``submitted_at`` as it is about to be sent: an attempt found processing
*and* submitted may have reached Stripe, so it is looked up (stored id, then the
idempotency key in the PaymentIntent metadata) and never sent again blindly. localstripe ignores
Idempotency-Key headers, so this does not lean on Stripe's own idempotency.
"""

import logging
from datetime import datetime
from typing import cast

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from campaigns.services import campaign_lock
from closing.signals import pledge_collected, pledge_payment_failed
from core.errors import Conflict, InvalidInput, PaymentFailed
from core.locks import COLLECTION, try_advisory_lock
from core.money import to_minor_units
from pledges.models import Charge, Pledge
from pledges.payments import ChargeResult, PaymentError, ProviderUnavailable, SetupResult, get_gateway
from pledges.services import provider_call

log = logging.getLogger(__name__)

COLLECTABLE = (Pledge.State.ACTIVE, Pledge.State.ERRORED)


def _open_charge(pledge_id: int, now: datetime) -> tuple[Charge, Pledge, bool] | None:
    """The attempt to work on (the one in flight, or a new one if the pledge may be charged),
    its pledge and whether it is new; None when there is nothing to do. Run under the
    pledge's collection lock.

    A new attempt is written already marked submitted: it is about to be sent, and an attempt
    marked submitted is only ever looked up at the provider before anything is sent again."""
    earlier = Charge.objects.filter(pledge_id=OuterRef("pk"))
    with transaction.atomic():
        # One statement: the pledge (locked) with its campaign, the number of its last attempt
        # and the one in flight, if any.
        pledge = (
            Pledge.objects.select_for_update(of=("self",))
            .select_related("campaign")
            .annotate(
                last_attempt=Subquery(earlier.order_by("-attempt").values("attempt")[:1]),
                in_flight_id=Subquery(earlier.filter(state=Charge.State.PROCESSING).values("pk")[:1]),
            )
            .get(pk=pledge_id)
        )
        if pledge.in_flight_id:
            return Charge.objects.get(pk=pledge.in_flight_id), pledge, False
        if pledge.state not in COLLECTABLE or pledge.campaign.state != Campaign.State.SUCCESSFUL:
            return None
        attempt = (pledge.last_attempt or 0) + 1
        charge = Charge.objects.create(
            pledge=pledge,
            attempt=attempt,
            idempotency_key=f"pledge:{pledge.pk}:charge:{attempt}",
            amount=pledge.amount,
            currency=pledge.campaign.currency,
            submitted_at=now,
        )
        return charge, pledge, True


def pledge_collect(*, pledge_id: int, now: datetime | None = None) -> Charge | None:
    """Charge an active or errored pledge off-session, or finish an attempt in flight.

    Returns the charge worked on, or None when there is nothing to do (already
    collected, not collectable, or another worker is collecting the pledge). The pledge's
    collection runs under a PostgreSQL session advisory lock on the pledge (no row lock is
    held across the provider call), so no two workers ever work on one of its attempts.
    Provider errors fall in three classes (README, "Money"):

    * transient (no answer, timeout, 5xx, 429): ProviderUnavailable is raised, the
      attempt stays processing, the task retries with backoff and the sweeper after it;
    * a decline or a bank asking for authentication: the pledge is errored, the backer
      told, and it is charged again every ERRORED_PLEDGE_RETRY_INTERVAL until dropped;
    * a refusal of the request itself (an unknown customer or card, an amount below
      the provider's minimum): the pledge is errored with the reason, the backer told,
      and nothing retries it: sending the same request again cannot succeed.
    """
    now = now or timezone.now()
    with try_advisory_lock(COLLECTION, pledge_id) as locked:
        if not locked:
            return None
        opened = _open_charge(pledge_id, now)
        if opened is None:
            return None
        charge, pledge, new = opened
        try:
            # An attempt in flight that was submitted may have reached the provider: look first.
            result = _find_earlier_attempt(charge, pledge) if charge.submitted_at and not new else None
            if result is None:
                if charge.submitted_at is None:
                    Charge.objects.filter(pk=charge.pk).update(submitted_at=now, updated_at=now)
                result = get_gateway().charge_off_session(
                    customer_id=pledge.stripe_customer_id,
                    payment_method_id=pledge.payment_method_id,
                    amount_minor=to_minor_units(charge.amount, charge.currency),
                    currency=charge.currency.lower(),
                    idempotency_key=charge.idempotency_key,
                    metadata={"pledge_id": str(pledge.pk), "campaign_id": str(pledge.campaign_id)},
                )
        except ProviderUnavailable:
            raise
        except PaymentError as error:
            log.error("charge %s refused by the provider: %s (%s)", charge.idempotency_key, error.message, error.code)
            refused = ChargeResult(
                payment_intent_id=charge.payment_intent_id,
                status="failed",
                amount_minor=to_minor_units(charge.amount, charge.currency),
                currency=charge.currency.lower(),
                failure_code=error.code or "refused",
                failure_message=error.message,
            )
            return charge_record_result(
                charge_id=charge.pk, result=refused, now=now, retry=False, ids=(pledge.pk, pledge.campaign_id)
            )
        return charge_record_result(charge_id=charge.pk, result=result, now=now, ids=(pledge.pk, pledge.campaign_id))


def _find_earlier_attempt(charge: Charge, pledge: Pledge) -> ChargeResult | None:
    gateway = get_gateway()
    if charge.payment_intent_id:
        return gateway.retrieve_charge(charge.payment_intent_id)
    return gateway.find_charge(customer_id=pledge.stripe_customer_id, idempotency_key=charge.idempotency_key)


@transaction.atomic
def charge_record_result(
    *,
    charge_id: int,
    result: ChargeResult,
    now: datetime | None = None,
    retry: bool = True,
    ids: tuple[int, int] | None = None,
) -> Charge:
    """Apply what the provider says about an attempt; late or repeated news changes nothing.

    ``retry=False``: a failure that charging again cannot cure; the pledge is not retried.
    ``ids``: the charge's (pledge id, campaign id) when the caller knows them (never change).
    Locks in the order of every money move: campaign, pledge, charge.
    """
    now = now or timezone.now()
    pledge_id, campaign_id = ids or Charge.objects.values_list("pledge_id", "pledge__campaign_id").get(pk=charge_id)
    campaign_lock(campaign_id=campaign_id)
    pledge = Pledge.objects.select_for_update().get(pk=pledge_id)
    charge = Charge.objects.select_for_update().get(pk=charge_id)
    if result.payment_intent_id and not charge.payment_intent_id:
        charge.payment_intent_id = result.payment_intent_id
    if result.card_last4 and not charge.card_last4:
        charge.card_last4 = result.card_last4
    if result.succeeded:
        if charge.state == Charge.State.SUCCEEDED:
            return charge
        if pledge.state == Pledge.State.COLLECTED:
            # Another attempt already collected it: money moved twice. Never hide that.
            log.error("pledge %s charged by two attempts (%s)", pledge.pk, result.payment_intent_id)
        else:
            pledge.state = Pledge.State.COLLECTED
            pledge.collected_at = now
            pledge.next_retry_at = None
            pledge.save(update_fields=["state", "collected_at", "next_retry_at", "updated_at"])
            Campaign.objects.filter(pk=campaign_id).update(
                collected=F("collected") + charge.amount, collected_count=F("collected_count") + 1
            )
        charge.state = Charge.State.SUCCEEDED
        charge.save()
        pledge_collected.send(sender=Pledge, pledge=pledge, charge=charge)
        return charge
    elif result.status in ("failed", "requires_action"):
        if charge.state != Charge.State.PROCESSING:
            charge.save(update_fields=["payment_intent_id", "updated_at"])
            return charge
        charge.state = Charge.State.REQUIRES_ACTION if result.status == "requires_action" else Charge.State.FAILED
        charge.failure_code = result.failure_code or ""
        charge.failure_message = result.failure_message or ""
        if pledge.state in COLLECTABLE:
            pledge.state = Pledge.State.ERRORED
            pledge.errored_at = pledge.errored_at or now
            pledge.next_retry_at = now + settings.ERRORED_PLEDGE_RETRY_INTERVAL if retry else None
            pledge.save(update_fields=["state", "errored_at", "next_retry_at", "updated_at"])
            # Told once per failed attempt: the first, then every retry (48 h apart) until fixed or dropped.
            pledge_payment_failed.send(sender=Pledge, pledge=pledge, charge=charge)
    charge.save()
    return charge


def pledges_drop_errored(*, now: datetime | None = None) -> int:
    """Errored pledges not fixed within the grace period are dropped."""
    now = now or timezone.now()
    cutoff = now - settings.ERRORED_PLEDGE_GRACE
    return Pledge.objects.filter(state=Pledge.State.ERRORED, errored_at__lte=cutoff).update(
        state=Pledge.State.DROPPED, ended_at=now, next_retry_at=None, updated_at=now
    )


def _setup_metadata(pledge: Pledge) -> dict[str, str]:
    return {"campaign_id": str(pledge.campaign_id), "backer_id": str(pledge.backer_id), "pledge_id": str(pledge.pk)}


# A SetupIntent in these states can still take a card in the browser: the change-card page reuses it.
REUSABLE_SETUP_STATES = ("requires_payment_method", "requires_action")


def pledge_payment_method_setup(*, pledge: Pledge) -> SetupResult:
    """For a browser replacing the card of an errored pledge: a SetupIntent for the backer's
    Customer, which Stripe.js confirms (confirmCardSetup) before ``pledge_replace_payment_method``.

    The pledge's open one (``card_setup_intent_id``) is reused while it can still take a card, so
    opening or reloading the page costs one look-up, not a new SetupIntent each time; a new one
    is created only when there is none, or it succeeded, was canceled or is not the backer's."""
    if pledge.state != Pledge.State.ERRORED:
        raise Conflict(_("Only a pledge whose payment failed needs a new card."), code="not_errored")
    gateway = get_gateway()
    if pledge.card_setup_intent_id:
        try:
            known: SetupResult | None = provider_call(
                gateway.retrieve_setup_intent, setup_intent_id=pledge.card_setup_intent_id
            )
        except InvalidInput:  # the provider no longer knows it
            known = None
        if (
            known is not None
            and known.status in REUSABLE_SETUP_STATES
            and known.customer_id == pledge.stripe_customer_id
        ):
            return known
    setup: SetupResult = provider_call(
        gateway.create_setup_intent,
        customer_id=pledge.stripe_customer_id,
        payment_method_id=None,
        metadata=_setup_metadata(pledge),
    )
    Pledge.objects.filter(pk=pledge.pk, state=Pledge.State.ERRORED).update(card_setup_intent_id=setup.id)
    pledge.card_setup_intent_id = setup.id
    return setup


def pledge_replace_payment_method(
    *,
    pledge: Pledge,
    payment_method_id: str | None = None,
    setup_intent_id: str | None = None,
    now: datetime | None = None,
) -> Pledge:
    """The backer of an errored pledge saves another card; it is charged at once.

    The card is a PaymentMethod id (saved here with a new SetupIntent), or the SetupIntent
    of ``pledge_payment_method_setup`` that the browser confirmed. A charge that fails again
    (declined, or refused by the provider) raises PaymentFailed with the provider's reason;
    the pledge stays errored and the card saved."""
    now = now or timezone.now()
    if pledge.state != Pledge.State.ERRORED:
        raise Conflict(_("Only a pledge whose payment failed needs a new card."), code="not_errored")
    if (payment_method_id is None) == (setup_intent_id is None):
        raise InvalidInput(_("Give a payment method or a confirmed SetupIntent."), code="invalid_payment_method")
    if setup_intent_id is not None:
        setup: SetupResult = provider_call(get_gateway().retrieve_setup_intent, setup_intent_id=setup_intent_id)
        if setup.customer_id != pledge.stripe_customer_id:
            raise InvalidInput(_("That card was not saved for this pledge."), code="invalid_payment_method")
        if setup.status == "canceled":
            raise PaymentFailed(_("The card could not be saved; try another card."), code="card_declined")
    else:
        setup = provider_call(
            get_gateway().create_setup_intent,
            customer_id=pledge.stripe_customer_id,
            payment_method_id=payment_method_id,
            metadata=_setup_metadata(pledge),
        )
    if not setup.succeeded:
        raise PaymentFailed(
            _("This card needs authentication that cannot be done here; try another card."), code="requires_action"
        )
    with transaction.atomic():
        locked = Pledge.objects.select_for_update().get(pk=pledge.pk)
        if locked.state != Pledge.State.ERRORED:
            raise Conflict(_("This pledge no longer needs a new card."), code="not_errored")
        # One of the two is given (checked above).
        locked.payment_method_id = cast(str, setup.payment_method_id or payment_method_id)
        locked.setup_intent_id = setup.id
        locked.next_retry_at = now
        locked.save(update_fields=["payment_method_id", "setup_intent_id", "next_retry_at", "updated_at"])
    try:
        charge = pledge_collect(pledge_id=pledge.pk, now=now)
    except ProviderUnavailable:
        # The card is saved; the errored-pledge sweeper charges it on its next round.
        charge = None
    if charge is not None and charge.state in (Charge.State.FAILED, Charge.State.REQUIRES_ACTION):
        raise PaymentFailed(
            _("The new card was saved but could not be charged: %(reason)s")
            % {"reason": charge.failure_message or _("declined")},
            code=charge.failure_code or "card_declined",
        )
    return Pledge.objects.get(pk=pledge.pk)
