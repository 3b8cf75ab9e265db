"""Platform notifications: each is a row with a unique key, written in the transaction of
the event that caused it, and sent once by the drain after that transaction commits."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Unsubscription
from accounts.selectors import user_language
from campaigns.models import Campaign
from core.bulk import insert_missing
from core.errors import Conflict
from core.links import absolute_url
from core.mail import build_email, drain, render_email
from core.money import to_minor_units
from core.queue import enqueue_on_commit
from core.unsubscribe import unsubscribe_url
from notifications.models import Notification, Reminder
from payouts.models import Payout
from pledges.models import Charge, Pledge

# Kinds, and the e-mail template each renders with.
PLEDGE_CONFIRMED = "pledge_confirmed"
PLEDGE_CHANGED = "pledge_changed"
PLEDGE_CANCELED = "pledge_canceled"
CAMPAIGN_FUNDED = "campaign_funded"
CAMPAIGN_SUCCESSFUL = "campaign_successful"
CAMPAIGN_FAILED = "campaign_failed"
PAYMENT_FAILED = "payment_failed"
# Money e-mails to the backer: a pledge charged (at collection, or a late pledge at once), the new
# card of an errored pledge charged, a refund (full or partial). Each links to the receipt.
PLEDGE_CHARGED = "pledge_charged"
FIXED_CARD_CHARGED = "fixed_card_charged"
PLEDGE_REFUNDED = "pledge_refunded"
ENDING_SOON = "ending_soon"
CREATOR_DIGEST = "creator_digest"
# To a creator: a transfer (or a reversal) of a campaign's payout went through, or it is held.
PAYOUT_SENT = "payout_sent"
PAYOUT_HELD = "payout_held"
# To staff who may hold payouts: the provider refused a payout.
PAYOUT_REFUSED = "payout_refused"
# Sent by the reports app; everything the e-mail shows travels in its params.
EXPORT_READY = "export_ready"

CAMPAIGN_WIDE = (CAMPAIGN_FUNDED, CAMPAIGN_SUCCESSFUL, CAMPAIGN_FAILED, ENDING_SOON)
BATCH = 1000


def _schedule_drain() -> None:
    enqueue_on_commit("notifications.tasks.send_notifications")


def notify(*, recipient_id: int, kind: str, key: str, **params: int | str) -> None:
    """Record one notification in the caller's transaction; it is sent after the commit, once."""
    try:
        with transaction.atomic():
            Notification.objects.create(recipient_id=recipient_id, kind=kind, key=key, params=params)
    except IntegrityError:
        return  # this event was notified already
    _schedule_drain()


def notify_once(*, recipient_id: int, kind: str, key: str, **params: int | str) -> None:
    """As ``notify``, in one statement (INSERT … ON CONFLICT DO NOTHING, no savepoint): for events on
    the collection's hot path, where every statement counts. A repeat is a no-op."""
    Notification.objects.bulk_create(
        [Notification(recipient_id=recipient_id, kind=kind, key=key, params=params)], ignore_conflicts=True
    )
    _schedule_drain()


def notify_pledge(pledge: Pledge, kind: str, *, version: str = "") -> None:
    key = f"{kind}:{pledge.pk}" + (f":{version}" if version else "")
    notify(recipient_id=pledge.backer_id, kind=kind, key=key, pledge_id=pledge.pk)


def notify_charged(*, pledge: Pledge, charge: Charge) -> None:
    """The backer hears once that their pledge was charged: keyed by the pledge, which is charged
    at most once, so a replayed webhook or a retried task adds nothing. A pledge whose first
    attempt failed was charged on the card the backer fixed (or on a later try of the same)."""
    kind = FIXED_CARD_CHARGED if charge.attempt > 1 or pledge.errored_at is not None else PLEDGE_CHARGED
    notify_once(recipient_id=pledge.backer_id, kind=kind, key=f"{PLEDGE_CHARGED}:{pledge.pk}", pledge_id=pledge.pk)


def notify_refunded(*, charge: Charge, before: Decimal) -> None:
    """The backer hears of each growth of a charge's refunds once: keyed by the new total, so the
    same total reported again (a replayed webhook, a refund retried) adds nothing."""
    total = charge.refunded_amount
    notify(
        recipient_id=Pledge.objects.values_list("backer_id", flat=True).get(pk=charge.pledge_id),
        kind=PLEDGE_REFUNDED,
        key=f"{PLEDGE_REFUNDED}:{charge.pk}:{to_minor_units(total, charge.currency)}",
        pledge_id=charge.pledge_id,
        refunded=str(total - before),
        refunded_total=str(total),
        remaining=str(charge.amount - total),
    )


def notify_campaign_later(campaign_id: int, kind: str) -> None:
    """A campaign-wide event reaches the creator and every backer: fanned out by a task after commit."""
    enqueue_on_commit("notifications.tasks.fan_out_campaign_notification", campaign_id, kind)


def _campaign_audience(campaign: Campaign, kind: str) -> Iterable[int]:
    states = {
        CAMPAIGN_FUNDED: (Pledge.State.ACTIVE,),
        CAMPAIGN_SUCCESSFUL: Pledge.BACKER_STATES,
        CAMPAIGN_FAILED: (Pledge.State.RELEASED,),
        ENDING_SOON: (Pledge.State.ACTIVE, Pledge.State.PENDING),
    }[kind]
    backers = Pledge.objects.filter(campaign=campaign, state__in=states).values_list("backer_id", flat=True)
    yield from backers.order_by("backer_id").iterator(chunk_size=BATCH)
    if kind == ENDING_SOON:
        reminded = Reminder.objects.filter(campaign=campaign).exclude(
            user__pledges__campaign=campaign, user__pledges__state__in=states
        )
        yield from reminded.values_list("user_id", flat=True).iterator(chunk_size=BATCH)
    else:
        yield campaign.creator_id


def campaign_notification_fan_out(*, campaign_id: int, kind: str) -> int:
    """Create the rows of a campaign-wide notification in batches; a second run adds nobody."""
    campaign = Campaign.objects.get(pk=campaign_id)
    rows = (
        Notification(
            recipient_id=user_id, kind=kind, key=f"{kind}:{campaign_id}:{user_id}", params={"campaign_id": campaign_id}
        )
        for user_id in _campaign_audience(campaign, kind)
    )
    return insert_missing(
        Notification, rows, existing=Notification.objects.filter(kind=kind, params__campaign_id=campaign_id)
    )


def _notifications() -> QuerySet[Notification]:
    return Notification.objects.all()  # drain picks the ones due to be sent


def _build(notification: Notification) -> EmailMultiAlternatives | None:
    user = User.objects.select_related("profile").get(pk=notification.recipient_id)
    if not user.email or Unsubscription.objects.filter(user=user, campaign__isnull=True).exists():
        return None  # nothing to send: the row is still marked, so it is never retried
    context = _context(notification, user)
    if context is None:
        return None
    unsubscribe = unsubscribe_url(user_id=user.pk, campaign_id=None)
    language = user_language(user)
    subject, text, html = render_email(notification.kind, context, unsubscribe=unsubscribe, language=language)
    return build_email(
        to=user.email,
        subject=subject,
        text=text,
        html=html,
        message_id=f"notification-{notification.pk}",
        unsubscribe=unsubscribe,
    )


def _context(notification: Notification, user: User) -> dict[str, Any] | None:
    params = notification.params
    context: dict[str, Any] = {"user": user, "kind": notification.kind}
    if "pledge_id" in params:
        pledge = Pledge.objects.select_related("campaign", "reward").filter(pk=params["pledge_id"]).first()
        if pledge is None:
            return None
        context.update(pledge=pledge, campaign=pledge.campaign, amount=pledge.campaign.money(pledge.amount))
        if notification.kind == PAYMENT_FAILED:
            context["fix_url"] = absolute_url("my-pledge-payment-method", pledge.pk)
            context["fix_by"] = (pledge.errored_at or timezone.now()) + settings.ERRORED_PLEDGE_GRACE
        if notification.kind in MONEY_KINDS:
            context.update(_money_context(pledge, params))
    if "campaign_id" in params:
        campaign = Campaign.objects.filter(pk=params["campaign_id"]).first()
        if campaign is None:
            return None
        context["campaign"] = campaign
        context["is_creator"] = campaign.creator_id == user.pk
        context["goal"] = campaign.money(campaign.goal)
    if notification.kind == EXPORT_READY:
        context.update(params)
        return context
    if notification.kind == CREATOR_DIGEST:
        context["since"] = datetime.fromisoformat(params["since"])
        context["new_pledges"] = params["new_pledges"]
        context["new_total"] = Decimal(params["new_total"])
    if "payout_id" in params:
        payout = Payout.objects.filter(pk=params["payout_id"]).first()
        if payout is None:
            return None
        context["payout"] = payout
        context["statement_url"] = absolute_url("studio-statement", context["campaign"].slug)
        context["payout_admin_url"] = absolute_url("admin:payouts_payout_change", payout.pk)
    context["campaign_url"] = absolute_url("campaign-page", context["campaign"].slug)
    return context


MONEY_KINDS = (PLEDGE_CHARGED, FIXED_CARD_CHARGED, PLEDGE_REFUNDED)


def _money_context(pledge: Pledge, params: dict[str, Any]) -> dict[str, Any]:
    """What a money e-mail shows: the charge (amount, date, card), the receipt's link, and for a
    refund the amounts of the event (kept in its params, as later refunds may follow)."""
    charge = pledge.charges.filter(state=Charge.State.SUCCEEDED).first()
    context: dict[str, Any] = {"charge": charge, "receipt_url": absolute_url("my-pledge-receipt", pledge.pk)}
    if charge is not None:
        context["charged"] = charge.amount
        context["charged_at"] = pledge.collected_at or charge.updated_at
    for name in ("refunded", "refunded_total", "remaining"):
        if name in params:
            context[name] = Decimal(params[name])
    return context


def notify_payout(*, payout: Payout, kind: str, notify_staff: bool = False) -> None:
    """The creator hears of a payout sent or held; staff who may hold payouts of a refusal."""
    campaign = Campaign.objects.only("creator_id").get(pk=payout.campaign_id)
    tag = payout.hold_code if kind == PAYOUT_HELD else ""
    notify(
        recipient_id=campaign.creator_id,
        kind=kind,
        key=f"{kind}:{payout.pk}:{tag}",
        campaign_id=payout.campaign_id,
        payout_id=payout.pk,
    )
    if not notify_staff:
        return
    holders = Q(is_superuser=True) | Q(
        user_permissions__codename="hold_payout", user_permissions__content_type__app_label="payouts"
    )
    holders |= Q(groups__permissions__codename="hold_payout", groups__permissions__content_type__app_label="payouts")
    for staff_id in User.objects.filter(holders, is_staff=True, is_active=True).values_list("pk", flat=True).distinct():
        notify(
            recipient_id=staff_id,
            kind=PAYOUT_REFUSED,
            key=f"{PAYOUT_REFUSED}:{payout.pk}:{staff_id}:{payout.hold_code}",
            campaign_id=payout.campaign_id,
            payout_id=payout.pk,
        )


def notifications_send(*, limit: int = 500) -> int:
    return drain(_notifications, _build, limit=limit)


def reminder_set(*, user: User, campaign: Campaign) -> Reminder:
    if campaign.state != Campaign.State.LIVE:
        raise Conflict(_("Only a live campaign can be reminded of."), code="campaign_closed")
    reminder, _created = Reminder.objects.get_or_create(user=user, campaign=campaign)
    return reminder


def reminder_remove(*, user: User, campaign: Campaign) -> None:
    Reminder.objects.filter(user=user, campaign=campaign).delete()


def creator_digests(*, now: datetime | None = None) -> int:
    """One e-mail per live campaign with new pledges in the last day, at most one per campaign a day."""
    now = now or timezone.now()
    since = now - timedelta(days=1)
    rows = (
        Campaign.objects.filter(state=Campaign.State.LIVE)
        .annotate(new=Count("pledges", filter=Q(pledges__activated_at__gt=since, pledges__activated_at__lte=now)))
        .filter(new__gt=0)
    )
    count = 0
    with transaction.atomic():
        for campaign in rows:
            new_total = sum(
                Pledge.objects.filter(campaign=campaign, activated_at__gt=since, activated_at__lte=now).values_list(
                    "amount", flat=True
                ),
                Decimal(0),
            )
            notify(
                recipient_id=campaign.creator_id,
                kind=CREATOR_DIGEST,
                key=f"{CREATOR_DIGEST}:{campaign.pk}:{now.date().isoformat()}",
                campaign_id=campaign.pk,
                since=since.isoformat(),
                new_pledges=campaign.new,
                new_total=str(campaign.money(new_total)),
            )
            count += 1
    return count


def notifications_erase(*, user_id: int) -> None:
    """A deleted account's e-mails (sent or waiting) and reminders go."""
    Notification.objects.filter(recipient_id=user_id).delete()
    Reminder.objects.filter(user_id=user_id).delete()
