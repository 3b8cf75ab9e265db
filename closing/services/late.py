"""Late pledges: after a successful close, a campaign that takes them (``late_pledges_until``)
keeps taking pledges at the late price, and each is charged at once, in the backer's request.

The charge is collection's own (``pledge_collect``): the Charge row and its idempotency key
(``pledge:<id>:charge:<attempt>``) are committed before the provider is called, under the
pledge's collection lock, so a late pledge is charged at most once whatever is retried; it
enters the campaign's collected totals and the creator's ledger exactly as a charge at the
close does (``closing.signals.pledge_collected``). The call takes the provider budget's
interactive share (a person waits). A declined card leaves the pledge errored, as at the
close: the backer is told and may give another card (the change-card page) within
ERRORED_PLEDGE_GRACE; its limited unit stays held until then.
"""

from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from closing.services.campaigns import pledges_mark_collection_enqueued
from closing.services.collection import pledge_collect
from core.errors import Conflict, PaymentFailed
from core.queue import enqueue_on_commit
from pledges.models import Charge, Pledge
from pledges.payments import ProviderUnavailable
from pledges.payments.ratelimit import INTERACTIVE, provider_priority
from pledges.services import PledgeRequest, pledge_confirm, pledge_create, pledge_create_late


def pledge_place(*, backer: User, ask: PledgeRequest, client: str = "", now: datetime | None = None) -> Pledge:
    """What "back this campaign" does: a pledge to a live campaign (``pledge_create``, charged at
    the close), or, once it succeeded and takes late pledges, a late pledge charged at once."""
    try:
        return pledge_create(backer=backer, ask=ask, client=client, now=now)
    except Conflict as closed:
        # Only a campaign that is not live costs this look-up: the hot path stays as it was.
        late = Campaign.objects.filter(
            pk=ask.campaign_id, state=Campaign.State.SUCCESSFUL, late_pledges_until__isnull=False
        ).exists()
        if closed.code != "campaign_closed" or not late:
            raise
    return late_pledge_create(backer=backer, ask=ask, client=client, now=now)


def late_pledge_create(*, backer: User, ask: PledgeRequest, client: str = "", now: datetime | None = None) -> Pledge:
    """A late pledge, charged at once when its card is saved here; a pending one (no card yet, or
    3-D Secure) is charged when ``late_pledge_confirm`` activates it. PaymentFailed (402) when the
    card is declined: the pledge is kept, errored, for the backer to give another card."""
    with provider_priority(INTERACTIVE):
        pledge = pledge_create_late(backer=backer, ask=ask, client=client, now=now)
    if pledge.state != Pledge.State.ACTIVE:
        return pledge
    return late_pledge_charge(pledge=pledge, now=now)


def late_pledge_confirm(*, pledge: Pledge, now: datetime | None = None) -> Pledge:
    """After the browser confirmed the card of any pledge (late or not): activate it; a late
    pledge is then charged at once."""
    with provider_priority(INTERACTIVE):
        pledge = pledge_confirm(pledge=pledge, now=now)
    if not pledge.is_late or pledge.state != Pledge.State.ACTIVE:
        return pledge
    return late_pledge_charge(pledge=pledge, now=now)


def late_pledge_charge(*, pledge: Pledge, now: datetime | None = None) -> Pledge:
    """Charge an active late pledge now, through collection (at most once). The provider not
    answering is no refusal: the attempt stays as it is and collection's task (and its sweep)
    finish it, looking up what this attempt did before sending anything again."""
    now = now or timezone.now()
    try:
        with provider_priority(INTERACTIVE):
            charge = pledge_collect(pledge_id=pledge.pk, now=now)
    except ProviderUnavailable:
        pledges_mark_collection_enqueued(pledge_ids=[pledge.pk], now=now)
        enqueue_on_commit("closing.tasks.collect_pledge", pledge.pk)
        charge = None
    if charge is not None and charge.state in (Charge.State.FAILED, Charge.State.REQUIRES_ACTION):
        days = settings.ERRORED_PLEDGE_GRACE.days
        raise PaymentFailed(
            _(
                "Your card could not be charged: %(reason)s Nothing was charged. Your late pledge is kept "
                "for %(days)s days: give another card to complete it."
            )
            % {"reason": _sentence(charge.failure_message or _("declined")), "days": days},
            code=charge.failure_code or "card_declined",
        )
    return Pledge.objects.get(pk=pledge.pk)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."
