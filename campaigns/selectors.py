from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet

from campaigns.models import Campaign

PUBLIC_STATES = (Campaign.State.LIVE, Campaign.State.SUCCESSFUL, Campaign.State.FAILED)


def campaigns_visible_to(user: User | AnonymousUser) -> QuerySet[Campaign]:
    """Everyone sees live and finished campaigns; creators also their drafts; staff everything."""
    campaigns = Campaign.objects.select_related("creator")
    if user.is_authenticated and user.is_staff:
        return campaigns
    if user.is_authenticated:
        return campaigns.filter(Q(state__in=PUBLIC_STATES) | Q(creator=user))
    return campaigns.filter(state__in=PUBLIC_STATES)
