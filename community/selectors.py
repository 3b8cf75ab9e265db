"""Reads of the community: comments as a page shows them, who may post, followers, referral figures."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from campaigns.models import Campaign
from community.models import Comment, CommunityMail, CreatorFollow, LaunchFollow, PledgeReferral, ReferralTag, Report
from pledges.models import Pledge

# Audiences of updates (updates.models.CampaignUpdate.Audience), read through the campaign's relation.
UPDATE_PUBLIC, UPDATE_BACKERS, UPDATE_TIERS = "public", "backers", "tiers"


def backer_pledge(user: User | AnonymousUser, campaign: Campaign) -> Pledge | None:
    """The user's pledge that makes them a backer (Pledge.BACKER_STATES), if any."""
    if not user.is_authenticated:
        return None
    return Pledge.objects.filter(backer_id=user.pk, campaign=campaign, state__in=Pledge.BACKER_STATES).first()


def comment_may_post(user: User | AnonymousUser, campaign: Campaign) -> bool:
    return bool(user.is_authenticated and (campaign.creator_id == user.pk or backer_pledge(user, campaign)))


def comment_sees_update(user: User | AnonymousUser, campaign: Campaign, update_id: int) -> bool:
    """Whether the update is this campaign's and the user may read it (the creator, backers of its audience)."""
    update = campaign.updates.filter(pk=update_id).first()
    if update is None:
        return False
    if update.audience == UPDATE_PUBLIC or campaign.creator_id == user.pk:
        return True
    pledge = backer_pledge(user, campaign)
    if pledge is None:
        return False
    if update.audience == UPDATE_BACKERS:
        return True
    return pledge.reward_id is not None and update.tiers.filter(pk=pledge.reward_id).exists()


def comments_for(campaign: Campaign, *, update_id: int | None = None) -> QuerySet[Comment]:
    """Top-level comments, oldest first, with their replies (one level) and authors."""
    replies = Comment.objects.select_related("author").order_by("created_at", "id")
    return (
        Comment.objects.filter(campaign=campaign, update_id=update_id, parent__isnull=True)
        .select_related("author")
        .prefetch_related(Prefetch("replies", queryset=replies))
        .order_by("created_at", "id")
    )


def update_comment_counts(update_ids: list[int]) -> dict[int, int]:
    """Shown comments per update, for the links under each update on the campaign page (one query)."""
    shown = Comment.objects.filter(update_id__in=update_ids, hidden_at__isnull=True)
    return dict(shown.values("update_id").annotate(total=Count("id")).values_list("update_id", "total"))


def comment_count(campaign: Campaign) -> int:
    return Comment.objects.filter(campaign=campaign, update__isnull=True, hidden_at__isnull=True).count()


def follower_count(campaign: Campaign) -> int:
    return LaunchFollow.objects.filter(campaign=campaign).count()


def follower_count_shown(campaign: Campaign) -> int | None:
    """The count a coming-soon page shows: only from FOLLOWER_COUNT_SHOWN_FROM followers on."""
    count = follower_count(campaign)
    return count if count >= settings.FOLLOWER_COUNT_SHOWN_FROM else None


def follows_launch(user: User | AnonymousUser, campaign: Campaign) -> bool:
    return bool(user.is_authenticated and LaunchFollow.objects.filter(user_id=user.pk, campaign=campaign).exists())


def follows_creator(user: User | AnonymousUser, creator_id: int) -> bool:
    return bool(user.is_authenticated and CreatorFollow.objects.filter(user_id=user.pk, creator_id=creator_id).exists())


def coming_soon_campaigns() -> QuerySet[Campaign]:
    return Campaign.objects.filter(state=Campaign.State.DRAFT, coming_soon_at__isnull=False)


@dataclass(frozen=True)
class SourceRow:
    source: str  # "direct", "search", "category", "tag:<slug>", "site:<domain>"
    pledges: int
    amount: Decimal
    currency: str


def referral_stats(campaign: Campaign) -> list[SourceRow]:
    """Pledges (that still stand: Pledge.BACKER_STATES) and their amount per source, every tag
    of the campaign listed even at zero; direct first, then by amount."""
    referred = PledgeReferral.objects.filter(pledge_id=OuterRef("pk"))
    pledges = Pledge.objects.filter(campaign=campaign, state__in=Pledge.BACKER_STATES)
    direct = pledges.exclude(Exists(referred)).aggregate(n=Count("pk"), total=Sum("amount"))
    rows = {
        "direct": SourceRow("direct", direct["n"], campaign.money(direct["total"] or Decimal(0)), campaign.currency),
    }
    grouped = (
        PledgeReferral.objects.filter(campaign=campaign, pledge__state__in=Pledge.BACKER_STATES)
        .values("source")
        .annotate(n=Count("pledge_id"), total=Sum("pledge__amount"))
        .order_by()
    )
    for row in grouped:
        amount = campaign.money(row["total"] or Decimal(0))
        rows[row["source"]] = SourceRow(row["source"], row["n"], amount, campaign.currency)
    for slug in ReferralTag.objects.filter(campaign=campaign).values_list("slug", flat=True):
        rows.setdefault(f"tag:{slug}", SourceRow(f"tag:{slug}", 0, campaign.money(Decimal(0)), campaign.currency))
    ordered = sorted(rows.values(), key=lambda r: (r.source != "direct", -r.amount, r.source))
    return ordered


def reports_open() -> QuerySet[Report]:
    return Report.objects.filter(resolved_at__isnull=True).select_related("campaign", "comment", "reporter")


def launches_left_unmailed(*, now: datetime | None = None) -> list[int]:
    """Campaigns launched in the last two days with followers but no launch e-mail row yet (a lost message)."""
    now = now or timezone.now()
    recent = Campaign.objects.filter(launched_at__gte=now - timedelta(days=2))
    followed = Q(Exists(LaunchFollow.objects.filter(campaign_id=OuterRef("pk")))) | Q(
        Exists(CreatorFollow.objects.filter(creator_id=OuterRef("creator_id")))
    )
    mailed = CommunityMail.objects.filter(kind="campaign_launched", params__campaign_id=OuterRef("pk"))
    return list(recent.filter(followed).exclude(Exists(mailed)).values_list("pk", flat=True))
