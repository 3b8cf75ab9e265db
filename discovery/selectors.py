"""Reads for finding campaigns: the filtered, sorted list (site and API) and the home page.

A campaign's trending score is its pledges of the last TRENDING_WINDOW (any pledge that
counts or counted: pending, active, errored, collected)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Category
from campaigns.selectors import LISTED_STATES, campaigns_visible_to
from core.text import storable
from discovery.search import campaigns_search, search_text
from payouts.selectors import verified_name_of
from pledges.models import Pledge

TRENDING_WINDOW = timedelta(hours=48)
LOCATION_MAX_LENGTH = 80


class Sort:
    RELEVANCE = "relevance"
    TRENDING = "trending"
    NEWEST = "newest"
    ENDING = "ending"
    FUNDED = "funded"

    CHOICES = (
        (RELEVANCE, _("Best match")),
        (TRENDING, _("Trending")),
        (NEWEST, _("Newest")),
        (ENDING, _("Ending soon")),
        (FUNDED, _("Most funded")),
    )
    VALUES = frozenset(value for value, _label in CHOICES)


# Funding as a percentage of the goal, in exact arithmetic on the stored amounts.
FUNDING = {
    "under-50": (_("Under 50 % funded"), Q(pledged__lt=F("goal") / 2)),
    "50-100": (_("50 % to 100 % funded"), Q(pledged__gte=F("goal") / 2, pledged__lt=F("goal"))),
    "over-100": (_("Funded (100 % or more)"), Q(pledged__gte=F("goal"))),
}
FUNDING_CHOICES = tuple((value, label) for value, (label, _q) in FUNDING.items())


@dataclass(frozen=True)
class Filters:
    search: str = ""
    category: str = ""  # a category's slug: the category and its subcategories
    state: str = ""
    location: str = ""
    funding: str = ""
    sort: str = ""


def _trending(campaigns: QuerySet[Campaign], now: datetime) -> QuerySet[Campaign]:
    recent = (
        Pledge.objects.filter(campaign=OuterRef("pk"), created_at__gte=now - TRENDING_WINDOW)
        .filter(state__in=Pledge.LIVE_STATES)
        .order_by()
        .values("campaign")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return campaigns.annotate(recent_pledges=Coalesce(Subquery(recent, output_field=IntegerField()), Value(0)))


def _ordered(campaigns: QuerySet[Campaign], sort: str, searching: bool) -> QuerySet[Campaign]:
    live_first = Case(When(state=Campaign.State.LIVE, then=Value(0)), default=Value(1))
    if sort == Sort.TRENDING:
        return _trending(campaigns, timezone.now()).order_by(live_first, F("recent_pledges").desc(), "-id")
    if sort == Sort.NEWEST:
        return campaigns.order_by(F("launched_at").desc(nulls_last=True), "-id")
    if sort == Sort.ENDING:
        return campaigns.order_by(live_first, F("deadline").asc(nulls_last=True), "-id")
    if sort == Sort.FUNDED:
        return campaigns.order_by((F("pledged") / F("goal")).desc(), "-id")
    if searching:
        return campaigns.order_by(F("search_rank").desc(), "-id")
    ends_soonest = Case(When(state=Campaign.State.LIVE, then=F("deadline")), default=None)
    return campaigns.order_by(live_first, ends_soonest.asc(nulls_last=True), F("deadline").desc(nulls_last=True), "-id")


def clean_filters(
    *, search: str = "", category: str = "", state: str = "", location: str = "", funding: str = "", sort: str = ""
) -> Filters:
    """What was asked, with anything unknown dropped (a bad value filters nothing, never fails)."""
    return Filters(
        search=search_text(search),
        category=category if storable(category) and Category.objects.filter(slug=category).exists() else "",
        state=state if state in LISTED_STATES else "",
        location=search_text(location)[:LOCATION_MAX_LENGTH],
        funding=funding if funding in FUNDING else "",
        sort=sort if sort in Sort.VALUES else "",
    )


def campaigns_discover(user: User | AnonymousUser, filters: Filters) -> QuerySet[Campaign]:
    """Public campaigns (drafts are never listed, not even to their creators) matching
    ``filters``, in its sort order (campaigns_filtered)."""
    return campaigns_filtered(campaigns_visible_to(user).filter(state__in=LISTED_STATES), filters)


def campaigns_filtered(campaigns: QuerySet[Campaign], filters: Filters) -> QuerySet[Campaign]:
    """``campaigns`` (the caller's visible ones) matching ``filters``, in its sort order
    (default: by relevance when searching, else live ones ending soonest first, then the rest)."""
    campaigns = campaigns.select_related("category")
    if filters.category:
        campaigns = campaigns.filter(Q(category__slug=filters.category) | Q(category__parent__slug=filters.category))
    if filters.state:
        campaigns = campaigns.filter(state=filters.state)
    if filters.location:
        campaigns = campaigns.filter(creator__profile__location__icontains=filters.location)
    if filters.funding:
        campaigns = campaigns.filter(FUNDING[filters.funding][1])
    campaigns = campaigns_search(campaigns, filters.search)
    sort = filters.sort or (Sort.RELEVANCE if filters.search else "")
    if sort == Sort.RELEVANCE and not filters.search:
        sort = ""
    return _ordered(campaigns, sort, searching=bool(filters.search))


HOME_SECTION_SIZE = 6


@dataclass(frozen=True)
class Home:
    picked: list[Campaign]
    ending: list[Campaign]
    new: list[Campaign]


def home_sections(user: User | AnonymousUser) -> Home:
    """The home page: staff picks ("Projects we love", live ones, most recently picked first),
    the live campaigns ending soonest and the newest launched."""
    live = campaigns_visible_to(user).filter(state=Campaign.State.LIVE, deadline__gt=timezone.now())
    live = live.select_related("category")
    return Home(
        picked=list(live.filter(picked_at__isnull=False).order_by("-picked_at", "-id")[:HOME_SECTION_SIZE]),
        ending=list(live.order_by("deadline", "id")[:HOME_SECTION_SIZE]),
        new=list(live.order_by("-launched_at", "-id")[:HOME_SECTION_SIZE]),
    )


def categories_listed() -> list[Category]:
    """The top categories with their subcategories prefetched, in their order."""
    return list(Category.objects.filter(parent__isnull=True).prefetch_related("children"))


@dataclass(frozen=True)
class CreatorProfile:
    user: User
    campaigns: list[Campaign]
    backed_count: int
    verified: bool


def creator_profile(viewer: User | AnonymousUser, username: str) -> CreatorProfile | None:
    """A person's public page: their public campaigns (newest first), how many campaigns they
    back (pledges that count), whether their payout account is verified. None for an unknown
    or deleted account."""
    user = (
        get_user_model()
        .objects.select_related("profile")
        .filter(username=username, is_active=True, profile__deleted_at__isnull=True)
        .first()
    )
    if user is None:
        return None
    campaigns = (
        campaigns_visible_to(viewer)
        .filter(creator=user, state__in=LISTED_STATES)
        .select_related("category")
        .order_by(F("launched_at").desc(nulls_last=True), "-id")
    )
    backed = (
        Pledge.objects.filter(backer=user, state__in=(Pledge.State.ACTIVE, Pledge.State.COLLECTED))
        .values("campaign")
        .distinct()
        .count()
    )
    return CreatorProfile(
        user=user, campaigns=list(campaigns), backed_count=backed, verified=bool(verified_name_of(user.pk))
    )
