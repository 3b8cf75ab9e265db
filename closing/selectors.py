from datetime import datetime

from django.utils import timezone

from campaigns.models import Campaign


def campaigns_due_for_close(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        Campaign.objects.filter(state=Campaign.State.LIVE, deadline__lte=now)
        .order_by("deadline")
        .values_list("pk", flat=True)
    )
