"""Creator updates: publishing, the 30-minute edit window, who may read them, and the e-mail fan-out.

Publishing writes the update; after the commit a task writes one UpdateDelivery per
recipient (unique per update and recipient, so running it twice adds nobody) and
sender tasks work through the unsent rows one row lock at a time (core.mail.drain).
"""

from datetime import datetime, timedelta

import markdown
import nh3
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from accounts.models import Unsubscription
from campaigns.models import Campaign
from core.bulk import insert_missing
from core.errors import Conflict, InvalidInput, NotAllowed
from core.links import absolute_url
from core.mail import build_email, drain, render_email
from core.queue import enqueue_on_commit
from core.unsubscribe import unsubscribe_url
from pledges.models import Pledge
from updates.models import CampaignUpdate, UpdateDelivery

EDIT_WINDOW = timedelta(minutes=30)
SEND_BATCH = 200
SENDERS_PER_UPDATE = 2


def render_markdown(body: str) -> str:
    """Markdown to HTML with everything outside a safe list of tags and attributes removed."""
    return nh3.clean(markdown.markdown(body, extensions=["extra", "sane_lists"]), link_rel="noopener nofollow")


def _backers(campaign_id: int, tier_ids: list[int] | None = None) -> QuerySet:
    pledges = Pledge.objects.filter(campaign_id=campaign_id, state__in=Pledge.BACKER_STATES)
    if tier_ids is not None:
        pledges = pledges.filter(reward_id__in=tier_ids)
    return pledges


def updates_visible_to(campaign: Campaign, user: AbstractBaseUser | AnonymousUser) -> QuerySet[CampaignUpdate]:
    """Public updates for everyone; backers-only ones for backers (of the chosen tiers), the creator, staff."""
    updates = campaign.updates.prefetch_related("tiers")
    if user.is_authenticated and (user.is_staff or campaign.creator_id == user.pk):
        return updates
    if not user.is_authenticated:
        return updates.filter(audience=CampaignUpdate.Audience.PUBLIC)
    mine = _backers(campaign.pk).filter(backer=user)
    tiers = list(mine.exclude(reward__isnull=True).values_list("reward_id", flat=True))
    visible = Q(audience=CampaignUpdate.Audience.PUBLIC)
    if mine.exists():
        visible |= Q(audience=CampaignUpdate.Audience.BACKERS) | Q(
            audience=CampaignUpdate.Audience.TIERS, tiers__in=tiers
        )
    return updates.filter(visible).distinct()


def _check_tiers(campaign: Campaign, audience: str, tier_ids: list[int]) -> list[int]:
    if audience != CampaignUpdate.Audience.TIERS:
        if tier_ids:
            raise InvalidInput("Tiers are only chosen for the 'tiers' audience.", code="invalid_tiers")
        return []
    if not tier_ids:
        raise InvalidInput("Choose at least one tier for this update.", code="invalid_tiers")
    found = set(campaign.rewards.filter(pk__in=tier_ids).values_list("pk", flat=True))
    if found != set(tier_ids):
        raise InvalidInput("Those tiers are not all this campaign's.", code="invalid_tiers")
    return sorted(found)


@transaction.atomic
def update_publish(
    *,
    campaign: Campaign,
    author: AbstractBaseUser,
    title: str,
    body: str,
    audience: str = CampaignUpdate.Audience.PUBLIC,
    tier_ids: list[int] | None = None,
    now: datetime | None = None,
) -> CampaignUpdate:
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.creator_id != author.pk:
        raise NotAllowed("Only the campaign's creator may post updates.")
    if campaign.state in (Campaign.State.DRAFT, Campaign.State.CANCELED):
        raise Conflict(f"A {campaign.state} campaign cannot post updates.", code="campaign_not_public")
    tiers = _check_tiers(campaign, audience, tier_ids or [])
    number = (campaign.updates.aggregate(last=Max("number"))["last"] or 0) + 1
    update = CampaignUpdate.objects.create(
        campaign=campaign, author=author, number=number, title=title, body=body, audience=audience, published_at=now
    )
    update.tiers.set(tiers)
    enqueue_on_commit("updates.tasks.fan_out_update", update.pk)
    return update


@transaction.atomic
def update_edit(
    *, update: CampaignUpdate, title: str | None = None, body: str | None = None, now: datetime | None = None
) -> CampaignUpdate:
    """Fix a typo within 30 minutes of publishing; then the update is frozen. E-mails are not resent."""
    now = now or timezone.now()
    update = CampaignUpdate.objects.select_for_update().get(pk=update.pk)
    if now > update.published_at + EDIT_WINDOW:
        raise Conflict("An update can only be edited in the 30 minutes after publishing.", code="update_frozen")
    if title is not None:
        update.title = title
    if body is not None:
        update.body = body
    update.edited_at = now
    update.save(update_fields=["title", "body", "edited_at"])
    return update


def update_recipients(update: CampaignUpdate) -> QuerySet:
    """User ids the update is e-mailed to: the backers it is meant for, less those who opted out."""
    tier_ids = (
        list(update.tiers.values_list("pk", flat=True)) if update.audience == CampaignUpdate.Audience.TIERS else None
    )
    opted_out = Unsubscription.objects.filter(Q(campaign_id=update.campaign_id) | Q(campaign__isnull=True)).values(
        "user_id"
    )
    return (
        _backers(update.campaign_id, tier_ids)
        .exclude(backer_id__in=opted_out)
        .values_list("backer_id", flat=True)
        .distinct()
        .order_by("backer_id")
    )


def update_deliveries_create(*, update_id: int) -> int:
    """One Delivery per recipient; a second run adds nobody. Returns how many were added."""
    update = CampaignUpdate.objects.get(pk=update_id)
    recipients = update_recipients(update).iterator(chunk_size=1000)
    return insert_missing(
        UpdateDelivery,
        (UpdateDelivery(update_id=update_id, recipient_id=user_id) for user_id in recipients),
        existing=UpdateDelivery.objects.filter(update_id=update_id),
    )


def update_deliveries_send(*, update_id: int, limit: int = SEND_BATCH) -> int:
    update = CampaignUpdate.objects.select_related("campaign").get(pk=update_id)
    html_body = render_markdown(update.body)

    def build(delivery: UpdateDelivery):
        user = delivery.recipient
        if not user.email:
            return None
        unsubscribe = unsubscribe_url(user_id=user.pk, campaign_id=update.campaign_id)
        context = {
            "update": update,
            "campaign": update.campaign,
            "user": user,
            "body_html": html_body,
            "campaign_url": absolute_url("campaign-page", update.campaign.slug),
        }
        subject, text, html = render_email("update", context, unsubscribe=unsubscribe)
        return build_email(
            to=user.email,
            subject=subject,
            text=text,
            html=html,
            message_id=f"update-{update.pk}-{user.pk}",
            unsubscribe=unsubscribe,
        )

    sent = drain(
        lambda: UpdateDelivery.objects.filter(update_id=update_id, sent_at__isnull=True).select_related("recipient"),
        build,
        limit=limit,
    )
    if not UpdateDelivery.objects.filter(update_id=update_id, sent_at__isnull=True).exists():
        CampaignUpdate.objects.filter(pk=update_id, fanout_finished_at__isnull=True).update(
            fanout_finished_at=timezone.now()
        )
    return sent


def updates_with_unsent_deliveries() -> list[int]:
    return list(UpdateDelivery.objects.filter(sent_at__isnull=True).values_list("update_id", flat=True).distinct())


def updates_without_deliveries(*, older_than: timedelta = timedelta(minutes=1)) -> list[int]:
    """Published updates whose fan-out never ran (its message was lost)."""
    return list(
        CampaignUpdate.objects.filter(
            fanout_finished_at__isnull=True, deliveries__isnull=True, published_at__lte=timezone.now() - older_than
        ).values_list("pk", flat=True)
    )
