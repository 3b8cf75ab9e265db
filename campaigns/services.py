"""Campaign use cases: every write to a campaign goes through here, in a transaction."""

import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Field
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.mfa import mfa_check_for_launch
from campaigns.categories import CATEGORIES
from campaigns.images import image_prepare
from campaigns.models import Campaign, Category, Question
from campaigns.signals import (
    campaign_funded,
    campaign_launched,
    campaign_launching,
    campaign_review_submitted,
    campaign_reviewed,
)
from campaigns.video import video_embed_url
from core.errors import Conflict, InvalidInput, NotAllowed
from core.hotcache import invalidate_campaign
from core.locks import CREATOR_DRAFTS, transaction_lock_on_text
from core.markdown import check_markdown, render_for_storage
from core.money import MAX_GOAL, validate_amount, validate_currency
from core.text import check_plain_text, in_sentence

_UNSET = object()


def _story_html(description: str) -> str:
    return render_for_storage(description, field="description", max_length=Campaign.DESCRIPTION_MAX_LENGTH)


def _slug_for(title: str) -> str:
    return f"{slugify(title)[:120] or 'campaign'}-{secrets.token_hex(3)}"


def _check_deadline_future(deadline: datetime | None, now: datetime) -> None:
    """Refused when typed, not only at the launch: a past deadline, or one further away than the
    longest campaign (CAMPAIGN_MAX_DURATION), which no launch could accept."""
    if deadline is not None and deadline <= now:
        raise InvalidInput(_("The deadline must be in the future."), code="invalid_deadline")
    if deadline is not None and deadline - now > settings.CAMPAIGN_MAX_DURATION:
        raise InvalidInput(
            _("The deadline can be at most %(high)s from now: a campaign runs at most that long.")
            % {"high": _human(settings.CAMPAIGN_MAX_DURATION)},
            code="invalid_deadline",
        )


@transaction.atomic
def campaign_create(
    *,
    creator: User,
    title: str,
    goal: Decimal,
    currency: str,
    description: str = "",
    deadline: datetime | None = None,
    funding_model: str = Campaign.FundingModel.ALL_OR_NOTHING,
    image: "File[Any] | None" = None,
    image_alt: str = "",
    blurb: str = "",
    category: Category | None = None,
    risks: str = "",
    video_url: str = "",
) -> Campaign:
    check_plain_text(title, field="title")
    description_html = _story_html(description)
    currency = validate_currency(currency)
    goal = validate_amount(goal, currency, field="goal", maximum=MAX_GOAL)
    _check_deadline_future(deadline, timezone.now())
    if funding_model not in Campaign.FundingModel.values:
        raise InvalidInput(_("Unknown funding model."), code="invalid_funding_model")
    _check_room_for_a_draft(creator)
    picture = image_prepare(image) if image is not None else None
    campaign = Campaign(
        creator=creator,
        title=title,
        slug=_slug_for(title),
        description=description,
        description_html=description_html,
        goal=goal,
        currency=currency,
        deadline=deadline,
        funding_model=funding_model,
        image_alt=check_plain_text(image_alt, field="image_alt"),
        category=category,
    )
    _set_presentation(campaign, blurb=blurb, risks=risks, video_url=video_url)
    if picture is not None:
        campaign.image.save(cast(str, picture.name), picture, save=False)  # image_prepare names it
    campaign.save()
    return campaign


def _check_room_for_a_draft(creator: User) -> None:
    """At most DRAFTS_PER_USER drafts per creator; the count is taken under a lock on the creator
    (held to the commit), so two requests at once cannot both make the last one."""
    transaction_lock_on_text(CREATOR_DRAFTS, str(creator.pk))
    limit = settings.DRAFTS_PER_USER
    if Campaign.objects.filter(creator=creator, state=Campaign.State.DRAFT).count() >= limit:
        raise Conflict(
            ngettext(
                "You already have %(count)d draft, as many as an account may keep. Launch it first.",
                "You already have %(count)d drafts, as many as an account may keep. Launch one first.",
                limit,
            )
            % {"count": limit},
            code="too_many_drafts",
        )


def _field(name: str) -> "Field[Any, Any]":
    return cast("Field[Any, Any]", Campaign._meta.get_field(name))


def _forget_file_on_commit(name: str | None) -> None:
    """A replaced picture's file goes once the change is committed (a rollback keeps it)."""
    if name:
        storage = Campaign._meta.get_field("image").storage
        transaction.on_commit(lambda: storage.delete(name))


def _store_picture(picture: "ContentFile[bytes]") -> str:
    """Write a prepared picture to the media storage under its own name; the name stored."""
    field = Campaign._meta.get_field("image")
    # upload_to is a string, so no instance is needed (the stubs ask for a Model).
    name = field.generate_filename(None, cast(str, picture.name))  # type: ignore[arg-type]  # image_prepare names it
    return field.storage.save(name, picture)


def _check_fixed_fields(
    campaign: Campaign,
    *,
    goal: Decimal | None,
    currency: str | None,
    deadline: Any,
    funding_model: str | None,
) -> None:
    """Once live, goal, currency, deadline and funding model stay as they are."""
    fixed = {"goal": goal, "currency": currency, "funding_model": funding_model}
    changed = [name for name, value in fixed.items() if value is not None and value != getattr(campaign, name)]
    if deadline is not _UNSET and deadline != campaign.deadline:
        changed.append("deadline")
    if changed:
        raise Conflict(
            _("%(fields)s cannot change once the campaign is live.")
            % {"fields": ", ".join(str(_field(name).verbose_name) for name in changed)},
            code="campaign_fixed",
        )


def _set_draft_fields(
    campaign: Campaign,
    *,
    goal: Decimal | None,
    currency: str | None,
    deadline: Any,
    funding_model: str | None,
) -> None:
    """A draft's goal, currency, deadline and funding model, each checked."""
    if currency is not None:
        if campaign.rewards.exists() and validate_currency(currency) != campaign.currency:
            raise Conflict(_("Remove the rewards before changing the currency."), code="currency_has_rewards")
        campaign.currency = validate_currency(currency)
    if goal is not None:
        campaign.goal = validate_amount(goal, campaign.currency, field="goal", maximum=MAX_GOAL)
    if deadline is not _UNSET:
        _check_deadline_future(deadline, timezone.now())
        campaign.deadline = deadline
    if funding_model is not None:
        if funding_model not in Campaign.FundingModel.values:
            raise InvalidInput(_("Unknown funding model."), code="invalid_funding_model")
        campaign.funding_model = funding_model


def _set_words(
    campaign: Campaign,
    *,
    title: str | None,
    description: str | None,
    description_html: str | None,
    image_alt: str | None,
) -> None:
    if title is not None:
        campaign.title = check_plain_text(title, field="title")
    if description is not None:
        # campaign_update renders the story whenever there is one
        campaign.description, campaign.description_html = description, cast(str, description_html)
    if image_alt is not None:
        campaign.image_alt = check_plain_text(image_alt, field="image_alt")


def _check_video(video_url: str) -> str:
    link = video_url.strip()
    if link and video_embed_url(link) is None:
        raise InvalidInput(_("Paste a link to a YouTube or Vimeo video."), code="invalid_video_url")
    return link


def _set_presentation(
    campaign: Campaign, *, blurb: str | None = None, risks: str | None = None, video_url: str | None = None
) -> None:
    """The short description, the risks and the video link: each checked, unchanged when None."""
    if blurb is not None:
        blurb = " ".join(blurb.split())
        if len(blurb) > Campaign.BLURB_MAX_LENGTH:
            raise InvalidInput(
                _("The short description has at most %(max)d characters.") % {"max": Campaign.BLURB_MAX_LENGTH},
                code="invalid_blurb",
            )
        campaign.blurb = check_plain_text(blurb, field="blurb")
    if risks is not None:
        if len(risks) > Campaign.RISKS_MAX_LENGTH:
            raise InvalidInput(
                _("The risks have at most %(max)d characters.") % {"max": Campaign.RISKS_MAX_LENGTH},
                code="invalid_risks",
            )
        campaign.risks = risks.replace("\x00", "")
    if video_url is not None:
        campaign.video_url = _check_video(video_url)


def campaign_update(
    *,
    campaign: Campaign,
    title: str | None = None,
    description: str | None = None,
    goal: Decimal | None = None,
    currency: str | None = None,
    deadline: Any = _UNSET,
    funding_model: str | None = None,
    image: "File[Any] | None" = None,
    image_alt: str | None = None,
    remove_image: bool = False,
    blurb: str | None = None,
    category: Any = _UNSET,
    risks: str | None = None,
    video_url: str | None = None,
) -> Campaign:
    """Edit a campaign. A draft is editable; once live only the words and the picture may change.

    ``image``: a new picture (checked and re-encoded, campaigns.images); ``remove_image``: none.
    The slow parts come first, outside any transaction: the story is rendered, the picture
    decoded, re-encoded and stored (seconds for a big one), so pledges to the campaign never
    wait on them behind its row lock; then one short transaction locks the row and writes.
    A refused change deletes the picture it had stored.
    """
    description_html = _story_html(description) if description is not None else None
    stored = _store_picture(image_prepare(image)) if image is not None else None
    try:
        with transaction.atomic():
            campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
            fields = {"goal": goal, "currency": currency, "deadline": deadline, "funding_model": funding_model}
            if campaign.state == Campaign.State.LIVE:
                _check_fixed_fields(campaign, **fields)
            elif campaign.state == Campaign.State.DRAFT:
                _set_draft_fields(campaign, **fields)
                _withdraw_approval(campaign)
            else:
                raise Conflict(_("A closed campaign cannot be edited."), code="campaign_closed")
            _set_words(
                campaign, title=title, description=description, description_html=description_html, image_alt=image_alt
            )
            _set_presentation(campaign, blurb=blurb, risks=risks, video_url=video_url)
            if category is not _UNSET:
                campaign.category = category
            if stored is not None or remove_image:
                _forget_file_on_commit(campaign.image.name)
                campaign.image = stored
            campaign.save()
            invalidate_campaign(campaign.pk)
    except Exception:
        if stored is not None:
            Campaign._meta.get_field("image").storage.delete(stored)
        raise
    return campaign


def _check_launchable(campaign: Campaign, now: datetime) -> None:
    """What a draft needs before it launches (or is submitted for review)."""
    if campaign.state != Campaign.State.DRAFT:
        raise Conflict(
            _("Only a draft can be launched; this campaign is %(state)s.")
            % {"state": in_sentence(campaign.get_state_display())},
            code="not_draft",
        )
    if campaign.goal <= 0:
        raise InvalidInput(_("The goal must be greater than zero."), code="invalid_goal")
    if campaign.deadline is None:
        raise InvalidInput(_("Set a deadline before launching."), code="invalid_deadline")
    duration = campaign.deadline - now
    low, high = settings.CAMPAIGN_MIN_DURATION, settings.CAMPAIGN_MAX_DURATION
    if not low <= duration <= high:
        raise InvalidInput(
            _("The deadline must be between %(low)s and %(high)s after launch.")
            % {"low": _human(low), "high": _human(high)},
            code="invalid_deadline",
        )


def _check_review(campaign: Campaign) -> None:
    """CAMPAIGN_REVIEW_REQUIRED: only an approved draft launches; a clear reason otherwise."""
    if not settings.CAMPAIGN_REVIEW_REQUIRED or campaign.review_state == Campaign.Review.APPROVED:
        return
    if campaign.review_state == Campaign.Review.PENDING:
        raise Conflict(
            _("This campaign is awaiting review by our staff; you can launch it once it is approved."),
            code="review_pending",
        )
    raise Conflict(
        _("Campaigns are reviewed before they launch: submit this one for review first."),
        code="review_required",
    )


@transaction.atomic
def campaign_launch(*, campaign: Campaign, now: datetime | None = None) -> Campaign:
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state != Campaign.State.DRAFT:
        _check_launchable(campaign, now)  # raises not_draft
    _check_review(campaign)
    mfa_check_for_launch(creator=campaign.creator)
    _check_launchable(campaign, now)
    campaign_launching.send(sender=Campaign, campaign=campaign)
    campaign.state = Campaign.State.LIVE
    campaign.launched_at = now
    campaign.save(update_fields=["state", "launched_at", "updated_at"])
    campaign_launched.send(sender=Campaign, campaign_id=campaign.pk)
    invalidate_campaign(campaign.pk)
    return campaign


@transaction.atomic
def campaign_review_submit(*, campaign: Campaign, now: datetime | None = None) -> Campaign:
    """The creator asks staff to review a draft (what "launch" does while CAMPAIGN_REVIEW_REQUIRED)."""
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _check_launchable(campaign, now)
    if campaign.review_state == Campaign.Review.PENDING:
        raise Conflict(_("This campaign is already awaiting review."), code="review_pending")
    if campaign.review_state == Campaign.Review.APPROVED:
        raise Conflict(_("This campaign is approved already: launch it."), code="review_approved")
    campaign.review_state = Campaign.Review.PENDING
    campaign.review_submitted_at = now
    campaign.save(update_fields=["review_state", "review_submitted_at", "updated_at"])
    campaign_review_submitted.send(sender=Campaign, campaign_id=campaign.pk)
    return campaign


def campaign_launch_or_submit(*, campaign: Campaign, now: datetime | None = None) -> Campaign:
    """The creator's launch button: launches, or (review required, not yet approved, not yet
    submitted) submits the draft for review. The answer's state says which happened."""
    fresh = Campaign.objects.only("state", "review_state").get(pk=campaign.pk)
    needs_review = settings.CAMPAIGN_REVIEW_REQUIRED and fresh.state == Campaign.State.DRAFT
    if needs_review and fresh.review_state in (Campaign.Review.NONE, Campaign.Review.CHANGES_REQUESTED):
        return campaign_review_submit(campaign=campaign, now=now)
    return campaign_launch(campaign=campaign, now=now)


REVIEW_MESSAGE_MAX_LENGTH = 5000


@transaction.atomic
def campaign_review_decide(
    *, campaign: Campaign, reviewer: User, approve: bool, message: str = "", now: datetime | None = None
) -> Campaign:
    """Staff holding campaigns.review_campaign approve a submitted draft or ask for changes
    (a message is then required); the creator is told (campaign_reviewed)."""
    now = now or timezone.now()
    if not (reviewer.is_active and reviewer.is_staff and reviewer.has_perm("campaigns.review_campaign")):
        raise NotAllowed(_("Only staff who review campaigns may do that."))
    message = check_markdown(message.strip(), field="review_message", max_length=REVIEW_MESSAGE_MAX_LENGTH)
    if not approve and not message:
        raise InvalidInput(_("Say what should change."), code="invalid_review_message")
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state != Campaign.State.DRAFT or campaign.review_state != Campaign.Review.PENDING:
        raise Conflict(_("This campaign is not awaiting review."), code="not_awaiting_review")
    campaign.review_state = Campaign.Review.APPROVED if approve else Campaign.Review.CHANGES_REQUESTED
    campaign.review_message = message
    campaign.reviewed_at = now
    campaign.reviewed_by = reviewer
    campaign.save(update_fields=["review_state", "review_message", "reviewed_at", "reviewed_by", "updated_at"])
    campaign_reviewed.send(sender=Campaign, campaign_id=campaign.pk, approved=approve)
    return campaign


def _withdraw_approval(campaign: Campaign) -> None:
    """An approved draft that is edited goes back to be submitted again: what launches is what
    staff approved. (A draft awaiting review stays in the queue; staff see its latest words.)"""
    if campaign.review_state == Campaign.Review.APPROVED:
        campaign.review_state = Campaign.Review.NONE


@transaction.atomic
def campaign_coming_soon_set(*, campaign: Campaign, public: bool, now: datetime | None = None) -> Campaign:
    """Show a draft publicly as "coming soon" (a page where people ask to hear of its launch), or hide it again."""
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state != Campaign.State.DRAFT:
        raise Conflict(_("Only a draft can be shown as coming soon."), code="not_draft")
    if public and campaign.coming_soon_at is None:
        campaign.coming_soon_at = now
    elif not public:
        campaign.coming_soon_at = None
    campaign.save(update_fields=["coming_soon_at", "updated_at"])
    invalidate_campaign(campaign.pk)
    return campaign


def _human(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0:
        days = seconds // 86400
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}


def campaign_move_totals(*, campaign_id: int, now: datetime, amount: Decimal, backers: int) -> None:
    """Shift the running totals while the campaign is open; Conflict once it is not.

    Called inside the caller's transaction; the goal is crossed exactly once, by the
    first transaction to see it (it wins the UPDATE of ``funded_at``).
    """
    moved = Campaign.objects.filter(pk=campaign_id, state=Campaign.State.LIVE, deadline__gt=now).update(
        pledged=F("pledged") + amount, backers_count=F("backers_count") + backers, updated_at=now
    )
    if not moved:
        raise Conflict(_("This campaign is not taking pledges any more."), code="campaign_closed")
    if Campaign.objects.filter(pk=campaign_id, funded_at__isnull=True, pledged__gte=F("goal")).update(funded_at=now):
        campaign_funded.send(sender=Campaign, campaign_id=campaign_id)


@transaction.atomic
def campaign_set_late_pledges(
    *, campaign: Campaign, until: datetime | None, price_percent: int = 0, now: datetime | None = None
) -> Campaign:
    """Late pledges on (``until``: the moment they end, after the deadline and at most
    LATE_PLEDGES_MAX_DURATION after it; ``price_percent``: what the late price adds to each tier's
    minimum, 0 to LATE_PRICE_MAX_PERCENT) or off (``until`` None). Set before or after the close;
    a failed or canceled campaign never takes them. Late pledges start only after a successful
    close (``Campaign.takes_late_pledges_at``). The caller checks that the user is the creator."""
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state in (Campaign.State.FAILED, Campaign.State.CANCELED):
        raise Conflict(
            _("A %(state)s campaign takes no late pledges.") % {"state": in_sentence(campaign.get_state_display())},
            code="campaign_closed",
        )
    if until is None:
        campaign.late_pledges_until, campaign.late_price_percent = None, 0
    else:
        _check_late_pledges(campaign, until, price_percent, now)
        campaign.late_pledges_until, campaign.late_price_percent = until, price_percent
    campaign.save(update_fields=["late_pledges_until", "late_price_percent", "updated_at"])
    invalidate_campaign(campaign.pk)
    return campaign


def _check_late_pledges(campaign: Campaign, until: datetime, price_percent: int, now: datetime) -> None:
    if isinstance(price_percent, bool) or not 0 <= price_percent <= settings.LATE_PRICE_MAX_PERCENT:
        raise InvalidInput(
            _("The late price may add 0 to %(max)s percent to a reward's minimum.")
            % {"max": settings.LATE_PRICE_MAX_PERCENT},
            code="invalid_late_price",
        )
    if campaign.deadline is None:
        raise InvalidInput(_("Set the campaign's deadline first."), code="invalid_late_pledges_until")
    if until <= max(campaign.deadline, now):
        raise InvalidInput(
            _("Late pledges must end after the campaign's deadline, in the future."), code="invalid_late_pledges_until"
        )
    if until > campaign.deadline + settings.LATE_PLEDGES_MAX_DURATION:
        raise InvalidInput(
            _("Late pledges may run at most %(days)s days after the deadline.")
            % {"days": settings.LATE_PLEDGES_MAX_DURATION.days},
            code="invalid_late_pledges_until",
        )


def campaign_lock(*, campaign_id: int) -> Campaign:
    """Lock the campaign row for a money move, inside the caller's transaction.

    Every transaction that moves money locks rows in one order, so none waits in a
    circle: campaign, pledge, reward tiers (by id), charge. FOR NO KEY UPDATE is the
    lock the totals UPDATE takes anyway; pledges may still reference the row meanwhile.
    The story's stored HTML is not read here: it stays in the database.
    """
    return Campaign.objects.select_for_update(no_key=True).defer("description_html").get(pk=campaign_id)


@transaction.atomic
def campaigns_delete_drafts(*, creator: User) -> int:
    """A deleted account's drafts go (never launched, they hold no pledge), their pictures after
    the commit; the number deleted."""
    drafts = list(Campaign.objects.select_for_update().filter(creator=creator, state=Campaign.State.DRAFT))
    for draft in drafts:
        _forget_file_on_commit(draft.image.name)
        draft.delete()
    return len(drafts)


FAQ_MAX_ENTRIES = 30


@transaction.atomic
def campaign_set_faq(*, campaign: Campaign, entries: list[tuple[str, str]]) -> list[Question]:
    """Replace the campaign's FAQ with ``entries`` (question, answer), in this order; entries
    with neither are skipped, one with only one of them is refused. Any state but canceled."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state == Campaign.State.CANCELED:
        raise Conflict(_("A canceled campaign cannot be edited."), code="campaign_closed")
    kept = [(" ".join(q.split()), a.strip()) for q, a in entries if q.strip() or a.strip()]
    if len(kept) > FAQ_MAX_ENTRIES:
        raise InvalidInput(_("A FAQ has at most %(max)d questions.") % {"max": FAQ_MAX_ENTRIES}, code="invalid_faq")
    rows = []
    for position, (question, answer) in enumerate(kept):
        if not question or not answer:
            raise InvalidInput(_("Each question needs an answer, and each answer a question."), code="invalid_faq")
        if len(question) > Question.QUESTION_MAX_LENGTH or len(answer) > Question.ANSWER_MAX_LENGTH:
            raise InvalidInput(
                _("A question has at most %(question)d characters, an answer at most %(answer)d.")
                % {"question": Question.QUESTION_MAX_LENGTH, "answer": Question.ANSWER_MAX_LENGTH},
                code="invalid_faq",
            )
        check_plain_text(question, field="question")
        rows.append(
            Question(campaign=campaign, question=question, answer=answer.replace("\x00", ""), position=position)
        )
    campaign.faq.all().delete()
    created = Question.objects.bulk_create(rows)
    invalidate_campaign(campaign.pk)
    return created


@transaction.atomic
def campaign_pick(*, campaign: Campaign, picked: bool, now: datetime | None = None) -> Campaign:
    """Staff put a campaign among "Projects we love" (or take it out); the caller checks the
    permission campaigns.pick_campaign. Only a public campaign may be picked."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if picked and campaign.state not in (Campaign.State.LIVE, Campaign.State.SUCCESSFUL):
        raise Conflict(_("Only a live or successful campaign can be picked."), code="not_public")
    campaign.picked_at = (now or timezone.now()) if picked else None
    campaign.save(update_fields=["picked_at", "updated_at"])
    invalidate_campaign(campaign.pk)
    return campaign


@transaction.atomic
def categories_install() -> int:
    """Make the rows of campaigns.categories.CATEGORIES that are missing (the data migration
    made them; a flushed database, as a test's, may lack them). The number made. One query when
    none is missing (a lookup a row took 53); one made meanwhile by another call is left as it is."""
    slugs = [*CATEGORIES, *(child for _name, children in CATEGORIES.values() for child in children)]
    present = set(Category.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    if len(present) == len(slugs):
        return 0
    Category.objects.bulk_create(
        [Category(slug=slug, position=position) for position, slug in enumerate(CATEGORIES) if slug not in present],
        ignore_conflicts=True,
    )
    parents = dict(Category.objects.filter(slug__in=list(CATEGORIES)).values_list("slug", "pk"))
    Category.objects.bulk_create(
        [
            Category(slug=child, parent_id=parents[slug], position=child_position)
            for slug, (_name, children) in CATEGORIES.items()
            for child_position, child in enumerate(children)
            if child not in present
        ],
        ignore_conflicts=True,
    )
    return Category.objects.filter(slug__in=slugs).count() - len(present)
