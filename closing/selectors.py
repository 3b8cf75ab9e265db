from datetime import datetime

from django.conf import settings
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
    now = now or timezone.now()
    return list(Pledge.objects.filter(state=Pledge.State.ERRORED, next_retry_at__lte=now).values_list("pk", flat=True))


def pledges_left_uncollected(*, now: datetime | None = None) -> list[int]:
    """Work a lost message left behind: active pledges of successful campaigns, stale attempts."""
    now = now or timezone.now()
    waiting = Pledge.objects.filter(
        state=Pledge.State.ACTIVE,
        campaign__state=Campaign.State.SUCCESSFUL,
        campaign__closed_at__lte=now - settings.STALE_CHARGE_AFTER,
    ).values_list("pk", flat=True)
    stale = Charge.objects.filter(
        state=Charge.State.PROCESSING, updated_at__lte=now - settings.STALE_CHARGE_AFTER
    ).values_list("pledge_id", flat=True)
    return sorted(set(waiting) | set(stale))
