from datetime import datetime, timedelta

from django.utils import timezone

from campaigns.models import Campaign

ENDING_SOON_WINDOW = timedelta(hours=48)


def campaigns_ending_soon(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        Campaign.objects.filter(
            state=Campaign.State.LIVE, deadline__gt=now, deadline__lte=now + ENDING_SOON_WINDOW
        ).values_list("pk", flat=True)
    )
