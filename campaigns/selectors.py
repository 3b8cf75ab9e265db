from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet

from campaigns.models import Campaign
from core.permissions import staff_may

PUBLIC_STATES = (Campaign.State.LIVE, Campaign.State.SUCCESSFUL, Campaign.State.FAILED)


def campaigns_visible_to(user: User | AnonymousUser) -> QuerySet[Campaign]:
    """Everyone sees live and finished campaigns; creators also their drafts; staff everything."""
    campaigns = Campaign.objects.select_related("creator")
    if staff_may(user, "campaigns.view_campaign"):
        return campaigns
    if user.is_authenticated:
        return campaigns.filter(Q(state__in=PUBLIC_STATES) | Q(creator=user))
    return campaigns.filter(state__in=PUBLIC_STATES)
