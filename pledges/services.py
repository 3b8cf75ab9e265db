"""Pledge use cases: create (saving the card), confirm, change, cancel, expire, release.

Stripe is called outside any transaction, so a slow provider never holds a row
lock. The write that follows is one short transaction: claim the tier stock
(conditional UPDATE), write the pledge, and move the campaign's running totals with
an UPDATE that only matches while the campaign is live and before its deadline;
whatever fails, the transaction rolls back whole.
"""

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import PaymentCustomer
from campaigns.models import Campaign
from campaigns.services import campaign_move_totals, campaign_require_open
from core.errors import Conflict, DomainError, InvalidInput, NotAllowed, PaymentFailed, ServiceUnavailable
from core.money import validate_amount
from pledges.models import Charge, Pledge
from pledges.payments import CardDeclined, PaymentError, ProviderUnavailable, SetupResult, get_gateway
from pledges.signals import pledge_canceled, pledge_changed, pledge_confirmed
from rewards.models import RewardTier
from rewards.services import tier_claim, tier_release

_UNSET = object()
ALREADY_BACKING = "You already back this campaign; change your pledge instead."
User = get_user_model()


# --- helpers -------------------------------------------------------------------------


def _open_campaign(campaign_id: int, now: datetime) -> Campaign:
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise InvalidInput("Unknown campaign.", code="unknown_campaign")
    if campaign.state != Campaign.State.LIVE or campaign.deadline <= now:
        raise Conflict("This campaign is not taking pledges.", code="campaign_closed")
    return campaign


def _reward_for(campaign: Campaign, reward_id: int | None) -> RewardTier | None:
    if reward_id is None:
        return None
    reward = RewardTier.objects.filter(pk=reward_id, campaign=campaign).first()
    if reward is None:
        raise InvalidInput("That reward does not belong to this campaign.", code="unknown_reward")
    return reward


def _check_amount(campaign: Campaign, reward: RewardTier | None, amount: Decimal) -> Decimal:
    amount = validate_amount(amount, campaign.currency)
    if reward is not None and amount < reward.minimum:
        raise InvalidInput(
            f"This reward needs a pledge of at least {campaign.money(reward.minimum)} {campaign.currency}.",
            code="below_minimum",
        )
    return amount


def customer_for(user: AbstractBaseUser) -> str:
    """The user's Customer at the provider, created once (the user row lock stops a race)."""
    existing = PaymentCustomer.objects.filter(user=user).values_list("stripe_customer_id", flat=True).first()
    if existing:
        return existing
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        existing = PaymentCustomer.objects.filter(user=user).values_list("stripe_customer_id", flat=True).first()
        if existing:
            return existing
        customer_id = provider_call(
            get_gateway().create_customer,
            email=user.email,
            name=user.get_full_name() or user.get_username(),
            metadata={"user_id": str(user.pk)},
        )
        PaymentCustomer.objects.create(user=user, stripe_customer_id=customer_id)
        return customer_id


def provider_call(call, /, **kwargs):
    try:
        return call(**kwargs)
    except CardDeclined as error:
        raise PaymentFailed(error.message or "Your card was declined.", code="card_declined") from error
    except ProviderUnavailable as error:
        raise ServiceUnavailable("The payment provider is not answering; nothing was charged. Try again.") from error
    except PaymentError as error:  # e.g. an unknown or foreign PaymentMethod id
        raise InvalidInput(
            f"The payment method was not accepted: {error.message}", code="invalid_payment_method"
        ) from error


# --- use cases -----------------------------------------------------------------------


def pledge_create(
    *,
    backer: AbstractBaseUser,
    campaign_id: int,
    amount: Decimal,
    reward_id: int | None = None,
    payment_method_id: str | None = None,
    now: datetime | None = None,
) -> Pledge:
    """Pledge to a live campaign and save the card for later (a SetupIntent, usage off_session).

    With ``payment_method_id`` the SetupIntent is confirmed here: the pledge comes back
    ``active``, or ``pending`` when the bank wants 3-D Secure. Without it the pledge is
    ``pending`` and the browser confirms the card with the client secret. A card
    declined at setup raises PaymentFailed and keeps nothing.
    """
    now = now or timezone.now()
    campaign = _open_campaign(campaign_id, now)
    if campaign.creator_id == backer.pk:
        raise NotAllowed("Creators cannot back their own campaign.", code="own_campaign")
    reward = _reward_for(campaign, reward_id)
    amount = _check_amount(campaign, reward, amount)
    if Pledge.objects.filter(backer=backer, campaign=campaign, state__in=Pledge.LIVE_STATES).exists():
        raise Conflict(ALREADY_BACKING, code="duplicate_pledge")
    if reward is not None and reward.limit is not None and reward.claimed >= reward.limit:
        raise Conflict("This reward is sold out.", code="sold_out")

    customer_id = customer_for(backer)
    setup: SetupResult = provider_call(
        get_gateway().create_setup_intent,
        customer_id=customer_id,
        payment_method_id=payment_method_id,
        metadata={"campaign_id": str(campaign.pk), "backer_id": str(backer.pk)},
    )
    active = setup.succeeded
    try:
        with transaction.atomic():
            if reward is not None:
                tier_claim(reward_id=reward.pk)
            pledge = Pledge.objects.create(
                backer=backer,
                campaign=campaign,
                reward=reward,
                amount=amount,
                state=Pledge.State.ACTIVE if active else Pledge.State.PENDING,
                stripe_customer_id=customer_id,
                setup_intent_id=setup.id,
                setup_client_secret=setup.client_secret,
                payment_method_id=setup.payment_method_id or "",
                expires_at=None if active else now + settings.PENDING_PLEDGE_TTL,
                activated_at=now if active else None,
            )
            if active:
                campaign_move_totals(campaign_id=campaign.pk, now=now, amount=amount, backers=1)
                pledge_confirmed.send(sender=Pledge, pledge=pledge)
            else:
                campaign_require_open(campaign_id=campaign.pk, now=now)
    except IntegrityError as error:
        _forget_card(setup)
        raise Conflict(ALREADY_BACKING, code="duplicate_pledge") from error
    except DomainError:
        _forget_card(setup)  # sold out or closed while the card was being saved
        raise
    return pledge


def _forget_card(setup: SetupResult) -> None:
    """A pledge that was refused after its card was saved leaves no usable card behind (best effort)."""
    get_gateway().cancel_setup_intent(setup.id)


def pledge_confirm(*, pledge: Pledge, now: datetime | None = None) -> Pledge:
    """After Stripe.js confirmed the card: ask the provider, then activate the pledge."""
    now = now or timezone.now()
    if pledge.state == Pledge.State.ACTIVE:
        return pledge
    if pledge.state != Pledge.State.PENDING:
        raise Conflict(f"This pledge is {pledge.state} and cannot be confirmed.", code="not_pending")
    setup: SetupResult = provider_call(get_gateway().retrieve_setup_intent, setup_intent_id=pledge.setup_intent_id)
    if setup.requires_action:
        raise Conflict("The card still needs to be confirmed (3-D Secure).", code="requires_action")
    if setup.status == "canceled":
        raise PaymentFailed("The card could not be saved; pledge again with another card.", code="card_declined")
    if not setup.succeeded:
        raise Conflict("The card has not been confirmed yet.", code="not_confirmed")
    return pledge_activate_from_setup(pledge=pledge, payment_method_id=setup.payment_method_id, now=now)


@transaction.atomic
def pledge_activate_from_setup(*, pledge: Pledge, payment_method_id: str | None, now: datetime | None = None) -> Pledge:
    """The card of a pending pledge is saved (confirm call or setup_intent.succeeded): count it."""
    now = now or timezone.now()
    pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
    if pledge.state == Pledge.State.ACTIVE:
        return pledge
    if pledge.state != Pledge.State.PENDING:
        raise Conflict("This pledge expired before the card was confirmed; pledge again.", code="not_pending")
    campaign_move_totals(campaign_id=pledge.campaign_id, now=now, amount=pledge.amount, backers=1)
    pledge.state = Pledge.State.ACTIVE
    pledge.payment_method_id = payment_method_id or pledge.payment_method_id
    pledge.expires_at = None
    pledge.activated_at = now
    pledge.save(update_fields=["state", "payment_method_id", "expires_at", "activated_at", "updated_at"])
    pledge_confirmed.send(sender=Pledge, pledge=pledge)
    return pledge


@transaction.atomic
def pledge_update(
    *, pledge: Pledge, amount: Decimal | None = None, reward_id=_UNSET, now: datetime | None = None
) -> Pledge:
    """Change the amount or the reward before the deadline; totals and stock follow."""
    now = now or timezone.now()
    pledge = Pledge.objects.select_for_update(of=("self",)).select_related("campaign", "reward").get(pk=pledge.pk)
    if pledge.state not in Pledge.CHANGEABLE_STATES:
        raise Conflict(f"A {pledge.state} pledge cannot be changed.", code="pledge_closed")
    campaign = pledge.campaign
    reward = pledge.reward if reward_id is _UNSET else _reward_for(campaign, reward_id)
    new_amount = _check_amount(campaign, reward, pledge.amount if amount is None else amount)
    if reward != pledge.reward:
        if reward is not None:
            tier_claim(reward_id=reward.pk)
        if pledge.reward is not None:
            tier_release(reward_id=pledge.reward_id)
    if pledge.state == Pledge.State.ACTIVE:
        campaign_move_totals(campaign_id=campaign.pk, now=now, amount=new_amount - pledge.amount, backers=0)
    else:
        campaign_require_open(campaign_id=campaign.pk, now=now)
    changed = (new_amount, reward) != (pledge.amount, pledge.reward)
    pledge.amount = new_amount
    pledge.reward = reward
    pledge.save(update_fields=["amount", "reward", "updated_at"])
    if changed and pledge.state == Pledge.State.ACTIVE:
        pledge_changed.send(sender=Pledge, pledge=pledge, version=pledge.updated_at.isoformat())
    return pledge


@transaction.atomic
def pledge_cancel(*, pledge: Pledge, now: datetime | None = None) -> Pledge:
    """The backer withdraws before the deadline: the stock and the totals are given back."""
    now = now or timezone.now()
    pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
    if pledge.state not in Pledge.CHANGEABLE_STATES:
        raise Conflict(f"A {pledge.state} pledge cannot be canceled.", code="pledge_closed")
    if pledge.state == Pledge.State.ACTIVE:
        campaign_move_totals(campaign_id=pledge.campaign_id, now=now, amount=-pledge.amount, backers=-1)
    else:
        campaign_require_open(campaign_id=pledge.campaign_id, now=now)
    if pledge.reward_id:
        tier_release(reward_id=pledge.reward_id)
    was_active = pledge.state == Pledge.State.ACTIVE
    pledge.state = Pledge.State.CANCELED
    pledge.end_reason = Pledge.EndReason.BACKER
    pledge.ended_at = now
    pledge.save(update_fields=["state", "end_reason", "ended_at", "updated_at"])
    if was_active:
        pledge_canceled.send(sender=Pledge, pledge=pledge)
    return pledge


def pledges_expire_pending(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Free the stock of pending pledges whose card was not confirmed in time."""
    now = now or timezone.now()
    expired = 0
    while True:
        with transaction.atomic():
            batch = list(
                Pledge.objects.select_for_update(skip_locked=True)
                .filter(state=Pledge.State.PENDING, expires_at__lte=now)
                .order_by("pk")[:batch_size]
            )
            for pledge in batch:
                if pledge.reward_id:
                    tier_release(reward_id=pledge.reward_id)
            Pledge.objects.filter(pk__in=[p.pk for p in batch]).update(
                state=Pledge.State.CANCELED, end_reason=Pledge.EndReason.EXPIRED, ended_at=now, updated_at=now
            )
        expired += len(batch)
        if len(batch) < batch_size:
            return expired


def pledges_release_unconfirmed(*, campaign: Campaign, now: datetime) -> int:
    """At the close, pending pledges (card never confirmed) lapse; their stock no longer matters."""
    return Pledge.objects.filter(campaign=campaign, state=Pledge.State.PENDING).update(
        state=Pledge.State.CANCELED, end_reason=Pledge.EndReason.EXPIRED, ended_at=now, updated_at=now
    )


def pledges_release_for_campaign(*, campaign: Campaign, now: datetime) -> int:
    """A failed or canceled campaign lets every open pledge go; no card is touched."""
    return Pledge.objects.filter(
        campaign=campaign, state__in=(Pledge.State.PENDING, Pledge.State.ACTIVE, Pledge.State.ERRORED)
    ).update(state=Pledge.State.RELEASED, ended_at=now, updated_at=now)


def pledge_refund(*, pledge: Pledge, by: AbstractBaseUser, now: datetime | None = None) -> Pledge:
    """Refund a collected pledge in full: staff at any time, the creator within CREATOR_REFUND_WINDOW.

    The pledge row is locked across the provider call, so two refund requests
    serialize and the second finds it refunded; the refund carries the key
    ``pledge:<id>:refund`` and is looked up before one is created.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Pledge.objects.select_for_update(of=("self",)).select_related("campaign").get(pk=pledge.pk)
        campaign = locked.campaign
        if not by.is_staff:
            if campaign.creator_id != by.pk:
                raise NotAllowed("Only staff or the campaign's creator may refund a pledge.")
            if locked.collected_at and now - locked.collected_at > settings.CREATOR_REFUND_WINDOW:
                raise NotAllowed("The refund window has passed; ask the platform's staff.", code="refund_window")
        if locked.state == Pledge.State.REFUNDED:
            return locked
        if locked.state != Pledge.State.COLLECTED:
            raise Conflict(f"A {locked.state} pledge has nothing to refund.", code="not_collected")
        charge = locked.charges.get(state=Charge.State.SUCCEEDED)
        refund = provider_call(
            get_gateway().refund,
            payment_intent_id=charge.payment_intent_id,
            idempotency_key=f"pledge:{locked.pk}:refund",
        )
        _record_refund(pledge=locked, charge=charge, refund_id=refund.id, now=now)
    return locked


def _record_refund(*, pledge: Pledge, charge, refund_id: str, now: datetime) -> None:
    charge.refund_id = refund_id
    charge.refunded_at = now
    charge.save(update_fields=["refund_id", "refunded_at", "updated_at"])
    pledge.state = Pledge.State.REFUNDED
    pledge.refunded_at = now
    pledge.save(update_fields=["state", "refunded_at", "updated_at"])
    Campaign.objects.filter(pk=pledge.campaign_id).update(refunded=F("refunded") + charge.amount)


@transaction.atomic
def pledge_record_refund_from_provider(*, payment_intent_id: str, refund_id: str, now: datetime | None = None) -> bool:
    """A refund made at the provider (dashboard, or our own, reported by webhook); applied once."""
    now = now or timezone.now()
    charge = (
        Charge.objects.select_for_update()
        .filter(payment_intent_id=payment_intent_id, state=Charge.State.SUCCEEDED)
        .first()
    )
    if charge is None:
        return False
    pledge = Pledge.objects.select_for_update().get(pk=charge.pledge_id)
    if pledge.state != Pledge.State.COLLECTED:
        return False
    _record_refund(pledge=pledge, charge=charge, refund_id=refund_id, now=now)
    return True
