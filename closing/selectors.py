from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from campaigns.models import Campaign
from pledges.models import Charge, Pledge


def campaigns_due_for_close(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        Campaign.objects.filter(state=Campaign.State.LIVE, deadline__lte=now)
        .order_by("deadline")
        .values_list("pk", flat=True)
    )


def pledges_due_for_retry(*, now: datetime | None = None) -> list[int]:
    """Errored pledges whose retry is due and not yet sent (or sent so long ago that it was lost)."""
    now = now or timezone.now()
    return list(
        Pledge.objects.filter(state=Pledge.State.ERRORED, next_retry_at__lte=now)
        .filter(
            Q(collection_enqueued_at__isnull=True)
            | Q(collection_enqueued_at__lt=F("next_retry_at"))
            | Q(collection_enqueued_at__lte=now - settings.COLLECTION_LOST_AFTER)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def pledges_left_uncollected(*, now: datetime | None = None) -> list[int]:
    """Collection a lost message left behind, judged by each pledge's own timestamps.

    - an active pledge of a successful campaign whose collect_pledge was sent
      COLLECTION_LOST_AFTER ago: a message sent more recently may still be waiting in
      the queue, and is left alone;
    - an attempt stuck processing for STALE_CHARGE_AFTER (its worker died mid-charge):
      sent again once, then only when that message is lost in turn.
    """
    now = now or timezone.now()
    lost_before = now - settings.COLLECTION_LOST_AFTER
    waiting = Pledge.objects.filter(
        state=Pledge.State.ACTIVE,
        campaign__state=Campaign.State.SUCCESSFUL,
        collection_enqueued_at__lte=lost_before,
    ).values_list("pk", flat=True)
    stale = (
        Charge.objects.filter(state=Charge.State.PROCESSING, updated_at__lte=now - settings.STALE_CHARGE_AFTER)
        .filter(
            Q(pledge__collection_enqueued_at__isnull=True)
            | Q(pledge__collection_enqueued_at__lt=F("updated_at"))
            | Q(pledge__collection_enqueued_at__lte=lost_before)
        )
        .values_list("pledge_id", flat=True)
    )
    return sorted(set(waiting) | set(stale))


def campaigns_with_collection_stalled(*, now: datetime | None = None) -> list[int]:
    """Successful campaigns whose fan-out stopped: active pledges never sent, though the
    campaign closed COLLECTION_LOST_AFTER ago and none of its pledges was sent since (its
    collect_campaign message was lost)."""
    now = now or timezone.now()
    lost_before = now - settings.COLLECTION_LOST_AFTER
    pledges = Pledge.objects.filter(campaign=OuterRef("pk"))
    return list(
        Campaign.objects.filter(state=Campaign.State.SUCCESSFUL, closed_at__lte=lost_before)
        .filter(Exists(pledges.filter(state=Pledge.State.ACTIVE, collection_enqueued_at__isnull=True)))
        .exclude(Exists(pledges.filter(collection_enqueued_at__gt=lost_before)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class CollectionProgress:
    """How far the collection of a successful campaign has got.

    ``collected``/``collected_amount``: payments that went through (the campaign's own
    counters, kept by collection; a later refund does not undo them); ``waiting``: active
    pledges not charged yet; ``errored``: declined, retried until fixed or dropped;
    ``dropped``: given up. Finished when nothing waits and nothing is retried.
    """

    collected: int
    collected_amount: Decimal
    waiting: int
    errored: int
    dropped: int

    @property
    def finished(self) -> bool:
        return self.waiting == 0 and self.errored == 0


def collection_progress(*, campaign: Campaign) -> CollectionProgress | None:
    """None unless the campaign closed successful (only then is anything collected)."""
    campaign = Campaign.objects.only("state", "collected", "collected_count", "currency").get(pk=campaign.pk)
    if campaign.state != Campaign.State.SUCCESSFUL:
        return None
    states = (Pledge.State.ACTIVE, Pledge.State.ERRORED, Pledge.State.DROPPED)
    counts = dict(
        Pledge.objects.filter(campaign=campaign, state__in=states)
        .order_by()
        .values("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    return CollectionProgress(
        collected=campaign.collected_count,
        collected_amount=campaign.money(campaign.collected),
        waiting=counts.get(Pledge.State.ACTIVE, 0),
        errored=counts.get(Pledge.State.ERRORED, 0),
        dropped=counts.get(Pledge.State.DROPPED, 0),
    )


COLLECTING_STATES = (Pledge.State.ACTIVE, Pledge.State.ERRORED)


def collections_in_progress() -> list[tuple[int, str, int]]:
    """(campaign id, pledge state, count) of every successful campaign with pledges still to
    collect (active) or to retry (errored); with its collected count (the campaign's counter).
    For the metrics: a stalled collection keeps its active count while nothing is collected."""
    campaigns = list(
        Campaign.objects.filter(state=Campaign.State.SUCCESSFUL)
        .filter(Exists(Pledge.objects.filter(campaign=OuterRef("pk"), state__in=COLLECTING_STATES)))
        .values_list("pk", "collected_count")
    )
    if not campaigns:
        return []
    counts = (
        Pledge.objects.filter(campaign_id__in=[pk for pk, _ in campaigns], state__in=COLLECTING_STATES)
        .order_by()
        .values("campaign_id", "state")
        .annotate(n=Count("id"))
        .values_list("campaign_id", "state", "n")
    )
    rows: dict[tuple[int, str], int] = {(pk, state): 0 for pk, _ in campaigns for state in COLLECTING_STATES}
    rows |= {(pk, state): n for pk, state, n in counts}
    rows |= {(pk, Pledge.State.COLLECTED): collected for pk, collected in campaigns}
    return sorted((pk, str(state), n) for (pk, state), n in rows.items())
