from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Case, F, Q, QuerySet, Value, When

from campaigns.models import Campaign
from core.permissions import staff_may

PUBLIC_STATES = (Campaign.State.LIVE, Campaign.State.SUCCESSFUL, Campaign.State.FAILED)


def campaigns_visible_to(user: User | AnonymousUser) -> QuerySet[Campaign]:
    """Everyone sees live and finished campaigns; creators also their drafts; staff everything."""
    campaigns = Campaign.objects.select_related("creator", "creator__profile", "category")
    if staff_may(user, "campaigns.view_campaign"):
        return campaigns
    if user.is_authenticated:
        return campaigns.filter(Q(state__in=PUBLIC_STATES) | Q(creator=user))
    return campaigns.filter(state__in=PUBLIC_STATES)


LISTED_STATES = PUBLIC_STATES


def campaigns_listed(user: User | AnonymousUser, *, search: str = "", state: str = "") -> QuerySet[Campaign]:
    """The home page's list: public campaigns (no drafts, not canceled), live ones first (ending
    soonest first), then finished ones (most recently ended first). ``search``: every word must
    appear in the title, the description or the creator's name; ``state``: one of LISTED_STATES."""
    campaigns = campaigns_visible_to(user).filter(state__in=LISTED_STATES)
    for word in search.split():
        campaigns = campaigns.filter(
            Q(title__icontains=word) | Q(description__icontains=word) | Q(creator__username__icontains=word)
        )
    if state:
        campaigns = campaigns.filter(state=state)
    live_first = Case(When(state=Campaign.State.LIVE, then=Value(0)), default=Value(1))
    ends_soonest = Case(When(state=Campaign.State.LIVE, then=F("deadline")), default=None)
    return campaigns.order_by(live_first, ends_soonest.asc(nulls_last=True), F("deadline").desc(nulls_last=True), "-id")


# Slugs never change once made (campaign_create), so a process may keep what it looked up.
_ID_BY_SLUG: dict[str, int] = {}
_ID_BY_SLUG_MAX = 10_000


def campaign_id_for_slug(slug: str) -> int | None:
    """The id of the campaign with this slug, whoever may see it (callers check visibility)."""
    found = _ID_BY_SLUG.get(slug)
    if found is None:
        found = Campaign.objects.filter(slug=slug).values_list("id", flat=True).first()
        if found is not None and len(_ID_BY_SLUG) < _ID_BY_SLUG_MAX:
            _ID_BY_SLUG[slug] = found
    return found


def campaigns_awaiting_review() -> QuerySet[Campaign]:
    """The staff's review queue: drafts submitted for review, the longest waiting first."""
    return (
        Campaign.objects.filter(state=Campaign.State.DRAFT, review_state=Campaign.Review.PENDING)
        .select_related("creator")
        .order_by("review_submitted_at", "id")
    )
