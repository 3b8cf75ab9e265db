"""Creator updates: publishing, the 30-minute edit window, who may read them, and the e-mail fan-out.

Publishing writes the update; after the commit a task writes one UpdateDelivery per
recipient (unique per update and recipient, so running it twice adds nobody) and
sender tasks work through the unsent rows, claiming one at a time (core.mail.drain).
"""

from datetime import datetime, timedelta
from typing import cast

from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import user_language
from campaigns.models import Campaign
from core.bulk import insert_missing
from core.errors import Conflict, InvalidInput, NotAllowed
from core.links import absolute_url
from core.mail import TO_SEND, build_email, drain, render_email
from core.markdown import render_for_storage
from core.queue import enqueue_on_commit
from core.text import check_plain_text, in_sentence
from core.unsubscribe import unsubscribe_url
from updates.models import CampaignUpdate, UpdateDelivery
from updates.selectors import update_recipients

EDIT_WINDOW = timedelta(minutes=30)
SEND_BATCH = 200
SENDERS_PER_UPDATE = 2


def _body_html(body: str) -> str:
    return render_for_storage(body, field="body", max_length=CampaignUpdate.BODY_MAX_LENGTH)


def _check_tiers(campaign: Campaign, audience: str, tier_ids: list[int]) -> list[int]:
    if audience != CampaignUpdate.Audience.TIERS:
        if tier_ids:
            raise InvalidInput(_("Tiers are only chosen for the 'tiers' audience."), code="invalid_tiers")
        return []
    if not tier_ids:
        raise InvalidInput(_("Choose at least one tier for this update."), code="invalid_tiers")
    found = set(campaign.rewards.filter(pk__in=tier_ids).values_list("pk", flat=True))
    if found != set(tier_ids):
        raise InvalidInput(_("Those tiers are not all this campaign's."), code="invalid_tiers")
    return sorted(found)


@transaction.atomic
def update_publish(
    *,
    campaign: Campaign,
    author: User,
    title: str,
    body: str,
    audience: str = CampaignUpdate.Audience.PUBLIC,
    tier_ids: list[int] | None = None,
    now: datetime | None = None,
) -> CampaignUpdate:
    now = now or timezone.now()
    check_plain_text(title, field="title")
    body_html = _body_html(body)  # before the campaign's row is locked
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.creator_id != author.pk:
        raise NotAllowed(_("Only the campaign's creator may post updates."))
    if campaign.state in (Campaign.State.DRAFT, Campaign.State.CANCELED):
        raise Conflict(
            _("A %(state)s campaign cannot post updates.") % {"state": in_sentence(campaign.get_state_display())},
            code="campaign_not_public",
        )
    tiers = _check_tiers(campaign, audience, tier_ids or [])
    number = (campaign.updates.aggregate(last=Max("number"))["last"] or 0) + 1
    update = CampaignUpdate.objects.create(
        campaign=campaign,
        author=author,
        number=number,
        title=title,
        body=body,
        body_html=body_html,
        audience=audience,
        published_at=now,
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
    body_html = _body_html(body) if body is not None else None
    update = CampaignUpdate.objects.select_for_update().get(pk=update.pk)
    if now > update.published_at + EDIT_WINDOW:
        raise Conflict(_("An update can only be edited in the 30 minutes after publishing."), code="update_frozen")
    if title is not None:
        update.title = check_plain_text(title, field="title")
    if body is not None:
        update.body, update.body_html = body, cast(str, body_html)  # rendered above when a body is given
    update.edited_at = now
    update.save(update_fields=["title", "body", "body_html", "edited_at"])
    return update


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

    def build(delivery: UpdateDelivery) -> EmailMultiAlternatives | None:
        user = delivery.recipient
        if not user.email:
            return None
        unsubscribe = unsubscribe_url(user_id=user.pk, campaign_id=update.campaign_id)
        context = {
            "update": update,
            "campaign": update.campaign,
            "user": user,
            "body_html": update.body_html,
            "campaign_url": absolute_url("campaign-page", update.campaign.slug),
        }
        subject, text, html = render_email("update", context, unsubscribe=unsubscribe, language=user_language(user))
        return build_email(
            to=user.email,
            subject=subject,
            text=text,
            html=html,
            message_id=f"update-{update.pk}-{user.pk}",
            unsubscribe=unsubscribe,
        )

    sent = drain(
        lambda: UpdateDelivery.objects.filter(update_id=update_id).select_related("recipient__profile"),
        build,
        limit=limit,
    )
    # Finished once every delivery was sent or given up after its last refused attempt.
    if not UpdateDelivery.objects.filter(TO_SEND, update_id=update_id).exists():
        CampaignUpdate.objects.filter(pk=update_id, fanout_finished_at__isnull=True).update(
            fanout_finished_at=timezone.now()
        )
    return sent
