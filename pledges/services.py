"""Pledge use cases: create (saving the card), confirm, change, cancel, expire, release.

Stripe is called outside any transaction, so a slow provider never holds a row
lock. The write that follows is one short transaction: claim the tier stock
(conditional UPDATE), write the pledge, and move the campaign's running totals with
an UPDATE that only matches while the campaign is live and before its deadline;
whatever fails, the transaction rolls back whole.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, models, transaction
from django.db.models import F, Min, Prefetch, prefetch_related_objects
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from accounts.models import PaymentCustomer
from campaigns.models import Campaign
from campaigns.services import campaign_lock, campaign_move_totals
from core.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotAllowed,
    PaymentFailed,
    ServiceUnavailable,
    TooManyRequests,
)
from core.locks import CUSTOMER, REFUND, advisory_lock, try_advisory_lock
from core.money import from_minor_units, to_minor_units, validate_amount
from core.permissions import staff_may
from core.queue import enqueue_on_commit
from core.text import in_sentence
from pledges.models import Charge, Pledge, PledgeAddOn
from pledges.payments import (
    STANDING_REFUND,
    CardDeclined,
    PaymentError,
    PaymentGateway,
    ProviderUnavailable,
    RefundResult,
    RefundTotal,
    SetupResult,
    get_gateway,
)
from pledges.signals import charge_refunded, pledge_canceled, pledge_changed, pledge_confirmed
from rewards.models import AddOn, RewardTier
from rewards.selectors import late_price
from rewards.services import add_on_claim, add_on_offered, add_on_release, shipping_price, tier_claim, tier_release

_UNSET = object()
_T = TypeVar("_T")
ALREADY_BACKING = "You already back this campaign; change your pledge instead."


# --- helpers -------------------------------------------------------------------------


def _open_campaign(campaign_id: int, now: datetime) -> Campaign:
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise InvalidInput(_("Unknown campaign."), code="unknown_campaign")
    _check_open(campaign, now)
    return campaign


def _check_open(campaign: Campaign, now: datetime) -> None:
    if not campaign.is_open_at(now):
        raise Conflict(_("This campaign is not taking pledges any more."), code="campaign_closed")


def _check_late_open(campaign: Campaign, now: datetime) -> None:
    """Late pledges: only after a successful close, only until the creator's date."""
    if campaign.takes_late_pledges_at(now):
        return
    if campaign.state == Campaign.State.LIVE:
        raise Conflict(_("This campaign is still live: pledge as usual."), code="campaign_live")
    if campaign.state == Campaign.State.SUCCESSFUL and campaign.late_pledges_until is not None:
        raise Conflict(_("Late pledges to this campaign have ended."), code="late_pledges_ended")
    raise Conflict(_("This campaign is not taking pledges any more."), code="campaign_closed")


def _check_taking(campaign: Campaign, now: datetime, *, late: bool) -> None:
    if late:
        _check_late_open(campaign, now)
    else:
        _check_open(campaign, now)


def _reward_for(campaign: Campaign, reward_id: int | None) -> RewardTier | None:
    if reward_id is None:
        return None
    reward = RewardTier.objects.filter(pk=reward_id, campaign=campaign).first()
    if reward is None:
        raise InvalidInput(_("That reward does not belong to this campaign."), code="unknown_reward")
    reward.campaign = campaign
    return reward


def pledge_minimum(reward: RewardTier, extras: Decimal = Decimal("0"), *, late: bool = False) -> Decimal:
    """The smallest pledge that gets a reward: its minimum plus ``extras`` (the destination's
    shipping and the add-ons, which a pledge's amount includes). ``late``: a late pledge's, at the
    tier's late price (rewards.selectors.late_price)."""
    return reward_price(reward, late=late) + extras


def reward_price(reward: RewardTier, *, late: bool = False) -> Decimal:
    """The tier's minimum, or its late price for a late pledge."""
    return late_price(minimum=reward.minimum, campaign=reward.campaign) if late else reward.minimum


# A quantity no backer means (the per-backer maximum refuses it anyway, before any arithmetic).
MAX_QUANTITY = 10_000


@dataclass(frozen=True)
class PledgeRequest:
    """What a backer asks for when backing a campaign, said once by the API, the web checkout, the
    demo and the tests. ``amount`` includes the shipping and the add-ons (None: the least it may
    be); ``add_ons`` maps an add-on's id to a quantity."""

    campaign_id: int
    amount: Decimal | None = None
    reward_id: int | None = None
    payment_method_id: str | None = None
    currency: str | None = None
    shipping_country: str = ""
    add_ons: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Extras:
    """What a pledge adds to its tier: shipping to a destination and add-on lines, priced."""

    shipping_country: str = ""
    shipping_amount: Decimal = Decimal("0")
    # add-on id -> (quantity, unit price)
    lines: dict[int, tuple[int, Decimal]] = field(default_factory=dict)

    @property
    def add_ons_total(self) -> Decimal:
        return sum((price * quantity for quantity, price in self.lines.values()), Decimal("0"))

    @property
    def total(self) -> Decimal:
        return self.shipping_amount + self.add_ons_total


def _shipping(reward: RewardTier | None, country: str) -> tuple[str, Decimal]:
    if reward is None or not reward.ships:
        return "", Decimal("0")  # nothing to ship: a destination given anyway is not kept
    return country.strip().upper(), shipping_price(reward=reward, country=country)


def _add_on_lines(
    campaign: Campaign,
    reward: RewardTier | None,
    wanted: Mapping[int, int],
    kept: Mapping[int, tuple[int, Decimal]] | None = None,
) -> dict[int, tuple[int, Decimal]]:
    """The add-on lines asked for (id -> quantity; 0 drops one), checked: the campaign's, offered
    with the tier, within the per-backer maximum. A line whose quantity is unchanged keeps its price."""
    kept = kept or {}
    add_ons = {a.pk: a for a in AddOn.objects.filter(campaign=campaign, pk__in=list(wanted)).prefetch_related("tiers")}
    lines: dict[int, tuple[int, Decimal]] = {}
    for add_on_id, quantity in wanted.items():
        add_on = add_ons.get(add_on_id)
        if add_on is None:
            raise InvalidInput(
                _("That add-on does not belong to this campaign."), code="unknown_add_on", field="add_ons"
            )
        if not isinstance(quantity, int) or quantity < 0 or quantity > MAX_QUANTITY:
            raise InvalidInput(
                _("The quantity of %(title)s must be a whole number from 0 to %(most)d.")
                % {"title": add_on.title, "most": add_on.max_per_backer},
                code="invalid_quantity",
                field="add_ons",
            )
        if quantity == 0:
            continue
        if not add_on_offered(add_on, reward):
            raise InvalidInput(
                _("%(title)s does not come with this reward.") % {"title": add_on.title},
                code="add_on_not_offered",
                field="add_ons",
            )
        if quantity > add_on.max_per_backer:
            raise InvalidInput(
                _("At most %(most)d of %(title)s per backer.") % {"most": add_on.max_per_backer, "title": add_on.title},
                code="over_max_per_backer",
                field="add_ons",
            )
        old = kept.get(add_on_id)
        lines[add_on_id] = old if old is not None and old[0] == quantity else (quantity, add_on.price)
    return lines


def _check_amount(
    campaign: Campaign, reward: RewardTier | None, amount: Decimal, extras: Extras | None = None, *, late: bool = False
) -> Decimal:
    extras = extras or Extras()
    amount = validate_amount(amount, campaign.currency, chargeable=True)
    least = pledge_minimum(reward, extras.total, late=late) if reward is not None else Decimal(0)
    if reward is not None and amount < least:
        at_least = {"amount": campaign.money(least), "currency": campaign.currency}
        if extras.lines:
            message = _(
                "This pledge needs at least %(amount)s %(currency)s "
                "(%(minimum)s for the reward, %(shipping)s shipping and %(add_ons)s for add-ons)."
            ) % {
                **at_least,
                "minimum": campaign.money(reward_price(reward, late=late)),
                "shipping": campaign.money(extras.shipping_amount),
                "add_ons": campaign.money(extras.add_ons_total),
            }
        elif extras.shipping_amount:
            message = _(
                "This reward needs a pledge of at least %(amount)s %(currency)s "
                "(%(minimum)s plus %(shipping)s shipping)."
            ) % {
                **at_least,
                "minimum": campaign.money(reward_price(reward, late=late)),
                "shipping": campaign.money(extras.shipping_amount),
            }
        else:
            message = _("This reward needs a pledge of at least %(amount)s %(currency)s.") % at_least
        raise InvalidInput(message, code="below_minimum")
    return amount


def _amount_or_least(
    reward: RewardTier | None, amount: Decimal | None, extras: Extras, *, late: bool = False
) -> Decimal:
    if amount is not None:
        return amount
    if reward is None:
        raise InvalidInput(_("Say how much you pledge."), code="invalid_amount", field="amount")
    return pledge_minimum(reward, extras.total, late=late)


def _price_extras(
    campaign: Campaign, reward: RewardTier | None, *, shipping_country: str, add_ons: Mapping[int, int]
) -> Extras:
    country, shipping = _shipping(reward, shipping_country)
    lines = _add_on_lines(campaign, reward, add_ons)
    return Extras(shipping_country=country, shipping_amount=shipping, lines=lines)


def _check_add_on_stock(lines: Mapping[int, tuple[int, Decimal]], held: Mapping[int, int] | None = None) -> None:
    """Refused before any provider call when too few are left (the claim decides under a burst)."""
    held = held or {}
    extra = {pk: quantity - held.get(pk, 0) for pk, (quantity, _price) in lines.items()}
    for add_on in AddOn.objects.filter(pk__in=[pk for pk, more in extra.items() if more > 0], limit__isnull=False):
        if add_on.claimed + extra[add_on.pk] > (add_on.limit or 0):
            raise Conflict(
                _("Not enough of %(title)s is left.") % {"title": add_on.title}, code="add_on_sold_out", field="add_ons"
            )


def _move_add_on_stock(old: Mapping[int, int], new: Mapping[int, int]) -> None:
    """Claim what grew and release what shrank, add-ons in id order (the lock order)."""
    for add_on_id in sorted(set(old) | set(new)):
        delta = new.get(add_on_id, 0) - old.get(add_on_id, 0)
        if delta > 0:
            add_on_claim(add_on_id=add_on_id, quantity=delta)
        elif delta < 0:
            add_on_release(add_on_id=add_on_id, quantity=-delta)


def _release_add_ons(pledge_ids: list[int]) -> None:
    """Give back the add-on units of pledges that end (cancel, lapse), add-ons in id order."""
    if not pledge_ids:
        return
    held = (
        PledgeAddOn.objects.filter(pledge_id__in=pledge_ids)
        .values("add_on_id")
        .annotate(quantity=models.Sum("quantity"))
        .order_by("add_on_id")
    )
    for row in held:
        add_on_release(add_on_id=row["add_on_id"], quantity=row["quantity"])


def _write_lines(pledge: Pledge, lines: Mapping[int, tuple[int, Decimal]]) -> None:
    PledgeAddOn.objects.filter(pledge=pledge).exclude(add_on_id__in=list(lines)).delete()
    for add_on_id, (quantity, price) in lines.items():
        PledgeAddOn.objects.update_or_create(
            pledge=pledge, add_on_id=add_on_id, defaults={"quantity": quantity, "unit_price": price}
        )


def hold_client_key(client: str) -> str:
    """A keyed digest of a client's address: holds are counted per client without keeping it."""
    return salted_hmac("pledges.hold_client", client, algorithm="sha256").hexdigest() if client else ""


def _is_limited(reward: RewardTier | None) -> bool:
    return reward is not None and reward.limit is not None


def _check_client_holds(reward: RewardTier, hold_client: str, now: datetime) -> None:
    """A client (address) holds at most TIER_HOLDS_PER_CLIENT units of a limited tier at once with
    pledges whose card is not confirmed; an account holds one anyway (one live pledge per campaign)."""
    if not hold_client:
        return
    holds = Pledge.objects.filter(
        reward_id=reward.pk, state=Pledge.State.PENDING, expires_at__gt=now, hold_client=hold_client
    ).aggregate(count=models.Count("pk"), first_lapse=Min("expires_at"))
    if holds["count"] >= settings.TIER_HOLDS_PER_CLIENT:
        raise TooManyRequests(
            _(
                "Other checkouts from your network already hold this reward. Finish one of them, "
                "or try again in a few minutes."
            ),
            retry_after=max(1, int((holds["first_lapse"] - now).total_seconds()) + 1),
            code="too_many_holds",
        )


def _check_stock(reward: RewardTier | None, now: datetime) -> None:
    """Sold out counts only the holds still in their time: lapsed ones are let go here in the
    database (no provider call), and their SetupIntents are canceled by a task after the commit."""
    if reward is None or reward.limit is None or reward.claimed < reward.limit:  # as not _is_limited(reward)
        return
    if pledges_lapse_expired(now=now, reward_id=reward.pk):
        enqueue_on_commit("pledges.tasks.forget_lapsed_cards")
        reward.refresh_from_db(fields=["claimed"])
    if reward.claimed >= reward.limit:
        raise Conflict(_("This reward is sold out."), code="sold_out")


def customer_for(user: User) -> str:
    """The user's Customer at the provider, created once: an advisory lock per user (not a row
    lock, which must never be held across a provider call) makes a second request wait."""
    existing = PaymentCustomer.objects.filter(user=user).values_list("stripe_customer_id", flat=True).first()
    if existing:
        return existing
    with advisory_lock(CUSTOMER, user.pk):
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


def provider_call(call: Callable[..., _T], /, **kwargs: Any) -> _T:
    try:
        return call(**kwargs)
    except CardDeclined as error:
        raise PaymentFailed(error.message or "Your card was declined.", code="card_declined") from error
    except ProviderUnavailable as error:
        raise ServiceUnavailable(_("The payment provider is not answering; nothing was charged. Try again.")) from error
    except PaymentError as error:  # e.g. an unknown or foreign PaymentMethod id
        raise InvalidInput(
            _("The payment method was not accepted: %(reason)s") % {"reason": error.message},
            code="invalid_payment_method",
        ) from error


# --- use cases -----------------------------------------------------------------------


def pledge_create(*, backer: User, ask: PledgeRequest, client: str = "", now: datetime | None = None) -> Pledge:
    """Pledge to a live campaign and save the card for later (a SetupIntent, usage off_session).

    With ``ask.payment_method_id`` the SetupIntent is confirmed here: the pledge comes back
    ``active``, or ``pending`` when the bank wants 3-D Secure. Without it the pledge is
    ``pending`` and the browser confirms the card with the client secret. A card
    declined at setup raises PaymentFailed and keeps nothing. A pending pledge holds a
    limited tier for PENDING_PLEDGE_TTL; ``client`` (the request's address) caps how many such
    holds one client has on a tier (TIER_HOLDS_PER_CLIENT, TooManyRequests past it).

    A physical tier ships to ``ask.shipping_country`` at its rule's price; the add-ons are claimed
    like the tier.
    """
    now = now or timezone.now()
    campaign = _open_campaign(ask.campaign_id, now)
    return _pledge_write(backer=backer, campaign=campaign, ask=ask, client=client, now=now, late=False)


def pledge_create_late(*, backer: User, ask: PledgeRequest, client: str = "", now: datetime | None = None) -> Pledge:
    """A late pledge to a successful campaign that takes them (``Campaign.late_pledges_until``), at
    the tiers' late price: the card is saved as for any pledge, limited stock claimed the same way.
    It does not move the campaign's pledged total (frozen at the close) and is not confirmed by
    e-mail: it is charged at once (``closing.services.late``), and that charge is what counts."""
    now = now or timezone.now()
    campaign = Campaign.objects.filter(pk=ask.campaign_id).first()
    if campaign is None:
        raise InvalidInput(_("Unknown campaign."), code="unknown_campaign")
    _check_late_open(campaign, now)
    return _pledge_write(backer=backer, campaign=campaign, ask=ask, client=client, now=now, late=True)


def _check_request(
    *,
    backer: User,
    campaign: Campaign,
    currency: str | None,
    reward: RewardTier | None,
    amount: Decimal | None,
    late: bool,
    extras: Extras | None = None,
) -> Decimal:
    """Refusals that need no provider call; the amount as it will be kept."""
    if campaign.creator_id == backer.pk:
        raise NotAllowed(_("Creators cannot back their own campaign."), code="own_campaign")
    if currency is not None and currency.upper() != campaign.currency:
        raise InvalidInput(
            _("This campaign takes pledges in %(currency)s, not %(other)s.")
            % {"currency": campaign.currency, "other": currency},
            code="currency_mismatch",
        )
    extras = extras or Extras()
    amount = _check_amount(campaign, reward, _amount_or_least(reward, amount, extras, late=late), extras, late=late)
    if Pledge.objects.filter(backer=backer, campaign=campaign, state__in=Pledge.LIVE_STATES).exists():
        raise Conflict(ALREADY_BACKING, code="duplicate_pledge")
    return amount


def _pledge_write(
    *, backer: User, campaign: Campaign, ask: PledgeRequest, client: str, now: datetime, late: bool
) -> Pledge:
    reward = _reward_for(campaign, ask.reward_id)
    extras = _price_extras(campaign, reward, shipping_country=ask.shipping_country, add_ons=ask.add_ons)
    amount = _check_request(
        backer=backer,
        campaign=campaign,
        currency=ask.currency,
        reward=reward,
        amount=ask.amount,
        late=late,
        extras=extras,
    )
    _check_stock(reward, now)
    _check_add_on_stock(extras.lines)
    hold_client = hold_client_key(client) if _is_limited(reward) else ""
    if hold_client and reward is not None and ask.payment_method_id is None:  # a hold: refused before any provider call
        _check_client_holds(reward, hold_client, now)

    customer_id = customer_for(backer)
    setup: SetupResult = provider_call(
        get_gateway().create_setup_intent,
        customer_id=customer_id,
        payment_method_id=ask.payment_method_id,
        metadata={"campaign_id": str(campaign.pk), "backer_id": str(backer.pk)},
    )
    active = setup.succeeded
    try:
        with transaction.atomic():
            # Lock order: campaign, then the tier (see README, "Locks").
            _check_taking(campaign_lock(campaign_id=campaign.pk), now, late=late)
            if reward is not None:
                tier_claim(reward_id=reward.pk)
            _move_add_on_stock({}, {pk: quantity for pk, (quantity, _price) in extras.lines.items()})
            if hold_client and reward is not None and not active:  # under the campaign's lock: two cannot both pass
                _check_client_holds(reward, hold_client, now)
            pledge = Pledge.objects.create(
                backer=backer,
                campaign=campaign,
                reward=reward,
                amount=amount,
                shipping_country=extras.shipping_country,
                shipping_amount=extras.shipping_amount,
                state=Pledge.State.ACTIVE if active else Pledge.State.PENDING,
                stripe_customer_id=customer_id,
                setup_intent_id=setup.id,
                setup_client_secret=setup.client_secret,
                payment_method_id=setup.payment_method_id or "",
                hold_client="" if active else hold_client,
                expires_at=None if active else now + settings.PENDING_PLEDGE_TTL,
                activated_at=now if active else None,
                is_late=late,
            )
            if extras.lines:
                PledgeAddOn.objects.bulk_create(
                    PledgeAddOn(pledge=pledge, add_on_id=pk, quantity=quantity, unit_price=price)
                    for pk, (quantity, price) in extras.lines.items()
                )
            else:
                # Answering the new pledge lists its add-on lines: known to be none, not asked for.
                prefetch_related_objects([pledge], Prefetch("add_on_lines", queryset=PledgeAddOn.objects.none()))
            if active and not late:
                campaign_move_totals(campaign_id=campaign.pk, now=now, amount=amount, backers=1)
                pledge_confirmed.send(sender=Pledge, pledge=pledge)
    except IntegrityError as error:
        forget_card(setup_intent_id=setup.id, payment_method_id=setup.payment_method_id)
        raise Conflict(ALREADY_BACKING, code="duplicate_pledge") from error
    except DomainError:
        # Sold out or closed while the card was being saved.
        forget_card(setup_intent_id=setup.id, payment_method_id=setup.payment_method_id)
        raise
    return pledge


def forget_card(*, setup_intent_id: str, payment_method_id: str | None) -> None:
    """Clean up after a pledge that was refused (or expired) after its card was saved.

    The SetupIntent is canceled; its card is detached only when no other pledge uses it:
    a double click saves the same card twice, and the winning pledge must keep it.
    Best effort: a failure here leaves an unused card at the provider, nothing worse.
    """
    in_use = bool(payment_method_id) and (
        Pledge.objects.filter(payment_method_id=payment_method_id, state__in=Pledge.LIVE_STATES)
        .exclude(setup_intent_id=setup_intent_id)
        .exists()
    )
    get_gateway().cancel_setup_intent(setup_intent_id, keep_card=in_use)


def pledge_confirm(*, pledge: Pledge, now: datetime | None = None) -> Pledge:
    """After Stripe.js confirmed the card: ask the provider, then activate the pledge."""
    now = now or timezone.now()
    if pledge.state == Pledge.State.ACTIVE:
        return pledge
    if pledge.state != Pledge.State.PENDING:
        raise Conflict(
            _("This pledge is %(state)s and cannot be confirmed.") % {"state": in_sentence(pledge.get_state_display())},
            code="not_pending",
        )
    setup: SetupResult = provider_call(get_gateway().retrieve_setup_intent, setup_intent_id=pledge.setup_intent_id)
    if setup.requires_action:
        raise Conflict(_("The card still needs to be confirmed (3-D Secure)."), code="requires_action")
    if setup.status == "canceled":
        # Declined, or 3-D Secure failed (localstripe cancels the SetupIntent): the pledge keeps its
        # hold and takes another card, unless its time is up.
        pledge_card_retry(pledge=pledge, now=now)
        raise PaymentFailed(_("The card was not saved. Your pledge is kept: try another card."), code="card_declined")
    if not setup.succeeded:
        raise Conflict(_("The card has not been confirmed yet."), code="not_confirmed")
    return pledge_activate_from_setup(pledge=pledge, payment_method_id=setup.payment_method_id, now=now)


def pledge_card_retry(*, pledge: Pledge, now: datetime | None = None) -> Pledge:
    """A card refused at the card step (declined, or 3-D Secure not completed) keeps the pending
    pledge, its tier hold and its ``expires_at``: the backer tries another card on the same page.

    Stripe leaves a refused SetupIntent waiting for another card (kept as it is); localstripe
    cancels it, so a new one is made and its client secret replaces the old one. A hold past
    its time lapses here instead (Conflict ``hold_lapsed``). The provider is called outside
    any transaction; the pledge row is locked only to store the new SetupIntent.
    """
    now = now or timezone.now()
    if pledge.state != Pledge.State.PENDING:
        raise Conflict(_("This pledge is no longer waiting for a card."), code="not_pending")
    if pledge_lapse_if_expired(pledge=pledge, now=now):
        raise Conflict(_("Your hold on this pledge lapsed; start again."), code="hold_lapsed")
    setup: SetupResult = provider_call(get_gateway().retrieve_setup_intent, setup_intent_id=pledge.setup_intent_id)
    if setup.status != "canceled":
        return pledge
    fresh: SetupResult = provider_call(
        get_gateway().create_setup_intent,
        customer_id=pledge.stripe_customer_id,
        payment_method_id=None,
        metadata={"campaign_id": str(pledge.campaign_id), "backer_id": str(pledge.backer_id)},
    )
    with transaction.atomic():
        locked = Pledge.objects.select_for_update().get(pk=pledge.pk)
        if locked.state == Pledge.State.PENDING and locked.setup_intent_id == pledge.setup_intent_id:
            locked.setup_intent_id, locked.setup_client_secret = fresh.id, fresh.client_secret
            locked.save(update_fields=["setup_intent_id", "setup_client_secret", "updated_at"])
            pledge.setup_intent_id, pledge.setup_client_secret = fresh.id, fresh.client_secret
            return locked
    # Renewed by a second request meanwhile, or lapsed: this SetupIntent is not needed.
    get_gateway().cancel_setup_intent(fresh.id)
    return locked


def pledge_lapse_if_expired(*, pledge: Pledge, now: datetime | None = None) -> bool:
    """A pending pledge past its hold lapses now (its unit freed, its SetupIntent canceled by a
    task after the commit) rather than at the next sweep. True when it has lapsed."""
    now = now or timezone.now()
    if pledge.state == Pledge.State.PENDING and pledge.expires_at is not None and pledge.expires_at <= now:
        with transaction.atomic():
            if pledges_lapse_expired(now=now, pledge_id=pledge.pk):
                enqueue_on_commit("pledges.tasks.forget_lapsed_cards")
        pledge.refresh_from_db()
    return pledge.state == Pledge.State.CANCELED and pledge.end_reason == Pledge.EndReason.EXPIRED


@transaction.atomic
def pledge_activate_from_setup(*, pledge: Pledge, payment_method_id: str | None, now: datetime | None = None) -> Pledge:
    """The card of a pending pledge is saved (confirm call or setup_intent.succeeded): count it."""
    now = now or timezone.now()
    campaign_lock(campaign_id=pledge.campaign_id)
    pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
    if pledge.state == Pledge.State.ACTIVE:
        return pledge
    if pledge.state != Pledge.State.PENDING:
        raise Conflict(_("This pledge expired before the card was confirmed; pledge again."), code="not_pending")
    if not pledge.is_late:  # a late pledge is charged at once (closing.services.late): no totals, no e-mail
        campaign_move_totals(campaign_id=pledge.campaign_id, now=now, amount=pledge.amount, backers=1)
    pledge.state = Pledge.State.ACTIVE
    pledge.payment_method_id = payment_method_id or pledge.payment_method_id
    pledge.expires_at = None
    pledge.activated_at = now
    pledge.save(update_fields=["state", "payment_method_id", "expires_at", "activated_at", "updated_at"])
    if not pledge.is_late:
        pledge_confirmed.send(sender=Pledge, pledge=pledge)
    return pledge


@transaction.atomic
def pledge_update(
    *,
    pledge: Pledge,
    amount: Decimal | None = None,
    reward_id: Any = _UNSET,
    now: datetime | None = None,
    shipping_country: Any = _UNSET,
    add_ons: Any = _UNSET,
) -> Pledge:
    """Change the amount, the reward, the destination or the add-ons before the deadline; totals
    and stock follow. Without an amount, what the backer gave beyond shipping and add-ons stays
    (raised to a new reward's minimum when it is below it) and the new shipping and add-ons are
    added to it; an amount given below the minimum is refused. Shipping is priced again only when
    the reward or the destination changes; an add-on line keeps its price while its quantity does."""
    now = now or timezone.now()
    campaign = campaign_lock(campaign_id=pledge.campaign_id)
    pledge = Pledge.objects.select_for_update(of=("self",)).select_related("reward").get(pk=pledge.pk)
    if pledge.state not in Pledge.CHANGEABLE_STATES:
        raise Conflict(
            _("A %(state)s pledge cannot be changed.") % {"state": in_sentence(pledge.get_state_display())},
            code="pledge_closed",
        )
    _check_open(campaign, now)
    reward = pledge.reward if reward_id is _UNSET else _reward_for(campaign, reward_id)
    old_lines = {line.add_on_id: (line.quantity, line.unit_price) for line in pledge.add_on_lines.all()}
    old = Extras(str(pledge.shipping_country), pledge.shipping_amount, old_lines)
    extras = _changed_extras(campaign, pledge, reward, old, shipping_country=shipping_country, add_ons=add_ons)
    base = pledge.amount - old.total
    if amount is None and reward is not None and reward != pledge.reward:
        base = max(base, pledge_minimum(reward))  # a dearer tier raises an amount not given
    new_amount = _check_amount(campaign, reward, base + extras.total if amount is None else amount, extras)
    old_quantities = {pk: quantity for pk, (quantity, _price) in old.lines.items()}
    _check_add_on_stock(extras.lines, old_quantities)
    if reward != pledge.reward:
        _swap_tiers(old_id=pledge.reward_id, new_id=reward.pk if reward else None)
    _move_add_on_stock(old_quantities, {pk: quantity for pk, (quantity, _price) in extras.lines.items()})
    if pledge.state == Pledge.State.ACTIVE:
        campaign_move_totals(campaign_id=campaign.pk, now=now, amount=new_amount - pledge.amount, backers=0)
    changed = (new_amount, reward, extras) != (pledge.amount, pledge.reward, old)
    pledge.amount = new_amount
    pledge.reward = reward
    pledge.shipping_country = extras.shipping_country
    pledge.shipping_amount = extras.shipping_amount
    pledge.save(update_fields=["amount", "reward", "shipping_country", "shipping_amount", "updated_at"])
    if extras.lines != old.lines:
        _write_lines(pledge, extras.lines)
    if changed and pledge.state == Pledge.State.ACTIVE:
        pledge_changed.send(sender=Pledge, pledge=pledge, version=pledge.updated_at.isoformat())
    return pledge


def _changed_extras(
    campaign: Campaign, pledge: Pledge, reward: RewardTier | None, old: Extras, *, shipping_country: Any, add_ons: Any
) -> Extras:
    country = old.shipping_country if shipping_country is _UNSET else (shipping_country or "")
    if reward == pledge.reward and country == old.shipping_country:
        shipping = (old.shipping_country, old.shipping_amount)  # priced when chosen: kept
    else:
        shipping = _shipping(reward, country)
    wanted = {pk: quantity for pk, (quantity, _price) in old.lines.items()} if add_ons is _UNSET else add_ons
    lines = _add_on_lines(campaign, reward, wanted, kept=old.lines)
    return Extras(shipping_country=shipping[0], shipping_amount=shipping[1], lines=lines)


def _swap_tiers(*, old_id: int | None, new_id: int | None) -> None:
    """Release the old tier and claim the new one, touching the rows in id order (the lock order)."""
    steps: list[tuple[int, Callable[[], object]]] = []
    if old_id is not None:
        steps.append((old_id, lambda: tier_release(reward_id=old_id)))
    if new_id is not None:
        steps.append((new_id, lambda: tier_claim(reward_id=new_id)))
    for _order, step in sorted(steps, key=lambda item: item[0]):
        step()


@transaction.atomic
def pledge_cancel(*, pledge: Pledge, now: datetime | None = None) -> Pledge:
    """The backer withdraws before the deadline: the stock and the totals are given back."""
    now = now or timezone.now()
    campaign = campaign_lock(campaign_id=pledge.campaign_id)
    pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
    late_hold = pledge.is_late and pledge.state == Pledge.State.PENDING  # a late checkout given up
    if pledge.state not in Pledge.CHANGEABLE_STATES or (pledge.is_late and not late_hold):
        raise Conflict(
            _("A %(state)s pledge cannot be canceled.") % {"state": in_sentence(pledge.get_state_display())},
            code="pledge_closed",
        )
    if not late_hold:
        _check_open(campaign, now)
    if pledge.state == Pledge.State.ACTIVE:
        campaign_move_totals(campaign_id=pledge.campaign_id, now=now, amount=-pledge.amount, backers=-1)
    if pledge.reward_id:
        tier_release(reward_id=pledge.reward_id)
    _release_add_ons([pledge.pk])
    was_active = pledge.state == Pledge.State.ACTIVE
    pledge.state = Pledge.State.CANCELED
    pledge.end_reason = Pledge.EndReason.BACKER
    pledge.ended_at = now
    pledge.save(update_fields=["state", "end_reason", "ended_at", "updated_at"])
    if was_active:
        pledge_canceled.send(sender=Pledge, pledge=pledge)
    return pledge


def pledges_lapse_expired(
    *, now: datetime | None = None, reward_id: int | None = None, pledge_id: int | None = None, batch_size: int = 200
) -> int:
    """Pending pledges whose card was not confirmed in time lapse and their limited unit is freed,
    in the database only: no provider call, so a request may do it. Their SetupIntents are
    canceled by ``pledges_forget_lapsed_cards`` (a task enqueued after the commit, and the
    sweep). ``reward_id`` narrows it to one tier, ``pledge_id`` to one pledge. The number lapsed."""
    now = now or timezone.now()
    due = Pledge.objects.filter(state=Pledge.State.PENDING, expires_at__lte=now)
    if reward_id is not None:
        due = due.filter(reward_id=reward_id)
    if pledge_id is not None:
        due = due.filter(pk=pledge_id)
    expired = 0
    while True:
        candidates = list(due.order_by("pk").values_list("pk", flat=True)[:batch_size])
        with transaction.atomic():
            # Lock order: pledges, then their tiers by id.
            batch = list(
                Pledge.objects.select_for_update(skip_locked=True)
                .filter(pk__in=candidates, state=Pledge.State.PENDING, expires_at__lte=now)
                .order_by("pk")
                .values_list("pk", "reward_id")
            )
            for tier_id in sorted(tier for _pk, tier in batch if tier):
                tier_release(reward_id=tier_id)
            _release_add_ons([pk for pk, _tier in batch])
            Pledge.objects.filter(pk__in=[pk for pk, _tier in batch]).update(
                state=Pledge.State.CANCELED, end_reason=Pledge.EndReason.EXPIRED, ended_at=now, updated_at=now
            )
        expired += len(batch)
        if len(candidates) < batch_size or not batch:
            return expired


def pledges_forget_lapsed_cards(*, batch_size: int = 200) -> int:
    """Cancel at the provider the SetupIntents of lapsed pledges (a hold past its time, or pending
    at the close), oldest first, at most ``batch_size``; the number done. Idempotent: a pledge's
    client secret is cleared once its SetupIntent is canceled, which is what marks it done, and
    canceling one twice is harmless. No row lock is held across the provider calls."""
    lapsed = list(
        Pledge.objects.filter(state=Pledge.State.CANCELED, end_reason=Pledge.EndReason.EXPIRED)
        .exclude(setup_client_secret="")
        .order_by("ended_at", "pk")
        .values_list("pk", "setup_intent_id", "payment_method_id")[:batch_size]
    )
    for pledge_id, setup_intent_id, payment_method_id in lapsed:
        if setup_intent_id:
            forget_card(setup_intent_id=setup_intent_id, payment_method_id=payment_method_id or None)
        Pledge.objects.filter(pk=pledge_id).update(setup_client_secret="")
    return len(lapsed)


def pledges_expire_pending(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """The sweep: lapse every pending pledge past its time, then cancel the SetupIntents of up to
    ``batch_size`` lapsed ones (the rest at the next sweep, or by the task requests enqueue)."""
    expired = pledges_lapse_expired(now=now, batch_size=batch_size)
    pledges_forget_lapsed_cards(batch_size=batch_size)
    return expired


def pledges_release_unconfirmed(*, campaign: Campaign, now: datetime) -> int:
    """At the close, pending pledges (card never confirmed) lapse and give their units back.
    Runs under the campaign's lock; pledges, then tiers by id (the lock order)."""
    lapsing = list(
        Pledge.objects.select_for_update()
        .filter(campaign=campaign, state=Pledge.State.PENDING)
        .order_by("pk")
        .values_list("pk", "reward_id")
    )
    Pledge.objects.filter(pk__in=[pk for pk, _ in lapsing]).update(
        state=Pledge.State.CANCELED, end_reason=Pledge.EndReason.EXPIRED, ended_at=now, updated_at=now
    )
    for tier_id in sorted(reward_id for _pledge_id, reward_id in lapsing if reward_id):
        tier_release(reward_id=tier_id)
    _release_add_ons([pk for pk, _tier in lapsing])
    return len(lapsing)


def pledges_release_for_campaign(*, campaign: Campaign, now: datetime) -> int:
    """A failed or canceled campaign lets every open pledge go; no card is touched."""
    return Pledge.objects.filter(
        campaign=campaign, state__in=(Pledge.State.PENDING, Pledge.State.ACTIVE, Pledge.State.ERRORED)
    ).update(state=Pledge.State.RELEASED, ended_at=now, updated_at=now)


def pledge_refund(*, pledge: Pledge, by: User, now: datetime | None = None) -> Pledge:
    """Refund what is left of a collected pledge: staff at any time, the creator within
    CREATOR_REFUND_WINDOW.

    No row lock is held across the provider call. A session advisory lock per pledge
    makes a second refund request wait its turn (409 while one is in flight); the refund
    carries the key ``pledge:<id>:refund`` and is looked up at the provider before one is
    created, and what is recorded is the provider's total of refunds, not our request.
    """
    now = now or timezone.now()
    with try_advisory_lock(REFUND, pledge.pk) as locked:
        if not locked:
            raise Conflict(_("A refund of this pledge is already under way."), code="refund_in_progress")
        with transaction.atomic():
            campaign = campaign_lock(campaign_id=pledge.campaign_id)
            locked_pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
            _check_refund_allowed(locked_pledge, campaign, by, now)
            if locked_pledge.state == Pledge.State.REFUNDED:
                return locked_pledge
            charge = locked_pledge.charges.get(state=Charge.State.SUCCEEDED)
        gateway = get_gateway()
        # Refunds made in the provider's dashboard may not have reached us yet: ask first.
        refunds: RefundTotal = provider_call(gateway.refunds_of, payment_intent_id=charge.payment_intent_id)
        remaining = to_minor_units(charge.amount, charge.currency) - refunds.amount_minor
        if remaining > 0:
            refunds = _refund_the_rest(gateway, pledge_id=pledge.pk, charge=charge, before=refunds, amount=remaining)
        charge_record_refunds(charge_id=charge.pk, refunds=refunds, now=now)
    return Pledge.objects.get(pk=pledge.pk)


def _refund_the_rest(
    gateway: PaymentGateway, *, pledge_id: int, charge: Charge, before: RefundTotal, amount: int
) -> RefundTotal:
    """Refund ``amount`` (minor units) and return the payment's refunds with it: two provider
    calls in all with the listing ``before``, which the new refund is added to rather than listed
    again. The key names the total it refunds from, so a retry after a crash finds its refund."""
    key = f"pledge:{pledge_id}:refund:{before.amount_minor}"
    refund: RefundResult = provider_call(
        gateway.refund,
        payment_intent_id=charge.payment_intent_id,
        idempotency_key=key,
        amount_minor=amount,
        known=before,
    )
    counted_before = key in before.keys  # made by an earlier try: already in the total
    added = refund.amount_minor if refund.status in STANDING_REFUND and not counted_before else 0
    return RefundTotal(
        amount_minor=before.amount_minor + added,
        latest_refund_id=refund.id if added else before.latest_refund_id,
        keys=before.keys | {key},
    )


def _check_refund_allowed(pledge: Pledge, campaign: Campaign, by: User, now: datetime) -> None:
    if not staff_may(by, "pledges.refund_pledge"):
        if campaign.creator_id != by.pk:
            raise NotAllowed(_("Only staff or the campaign's creator may refund a pledge."))
        if pledge.collected_at and now - pledge.collected_at > settings.CREATOR_REFUND_WINDOW:
            raise NotAllowed(_("The refund window has passed; ask the platform's staff."), code="refund_window")
    if pledge.state not in (Pledge.State.COLLECTED, Pledge.State.REFUNDED):
        raise Conflict(
            _("A %(state)s pledge has nothing to refund.") % {"state": in_sentence(pledge.get_state_display())},
            code="not_collected",
        )


@transaction.atomic
def charge_record_refunds(*, charge_id: int, refunds: RefundTotal, now: datetime | None = None) -> bool:
    """Apply the provider's total of refunds of a charge (ours, or made in its dashboard).

    Partial refunds count as such: the campaign's refunded total moves by what is new,
    and the pledge is ``refunded`` only once the whole charge is. Late or repeated news
    (a total we have already recorded) changes nothing. True when something changed.
    """
    now = now or timezone.now()
    pledge_id, campaign_id = Charge.objects.values_list("pledge_id", "pledge__campaign_id").get(pk=charge_id)
    campaign_lock(campaign_id=campaign_id)
    pledge = Pledge.objects.select_for_update().get(pk=pledge_id)
    charge = Charge.objects.select_for_update().get(pk=charge_id)
    if charge.state != Charge.State.SUCCEEDED:
        return False
    total = min(from_minor_units(refunds.amount_minor, charge.currency), charge.amount)
    if total <= charge.refunded_amount:
        return False
    Campaign.objects.filter(pk=campaign_id).update(refunded=F("refunded") + (total - charge.refunded_amount))
    before = charge.refunded_amount
    charge.refunded_amount = total
    charge.refund_id = refunds.latest_refund_id or charge.refund_id
    charge.refunded_at = now
    charge.save(update_fields=["refunded_amount", "refund_id", "refunded_at", "updated_at"])
    if total == charge.amount and pledge.state == Pledge.State.COLLECTED:
        pledge.state = Pledge.State.REFUNDED
        pledge.refunded_at = now
        pledge.save(update_fields=["state", "refunded_at", "updated_at"])
    charge_refunded.send(sender=Charge, charge=charge, before=before)
    return True
