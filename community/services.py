"""Community use cases: comments and their moderation, reports, follows and the launch e-mails,
referral tags and pledge sources. Every write goes through here.

E-mails are CommunityMail rows (unique key per event and recipient) written in the transaction
of the event and sent after the commit by core.mail's drain, the platform's one pipeline; the
launch e-mail to followers is fanned out by a task, one row per recipient, so a retried task
e-mails nobody twice.
"""

import math
import re
import time
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from accounts.login_limits import parse_rates
from accounts.models import Unsubscription
from accounts.selectors import user_language
from campaigns.models import Campaign
from community.models import (
    Comment,
    CommentMailPreference,
    CommunityMail,
    CreatorFollow,
    LaunchFollow,
    PledgeReferral,
    ReferralTag,
    Report,
)
from community.selectors import backer_pledge, comment_sees_update
from core.bulk import insert_missing
from core.errors import Conflict, InvalidInput, NotAllowed, TooManyRequests
from core.hotcache import invalidate_campaign
from core.links import absolute_url
from core.mail import build_email, drain, render_email
from core.markdown import check_markdown, render_for_storage
from core.permissions import staff_may
from core.queue import enqueue_on_commit
from core.throttling import count_hits, uncount_hits
from core.unsubscribe import unsubscribe_url
from pledges.models import Pledge

# Kinds of community e-mail; each renders emails/community_<kind>.
COMMENT_NEW = "comment_new"
COMMENT_REPLY = "comment_reply"
COMMENT_DIGEST = "comment_digest"
CAMPAIGN_LAUNCHED = "campaign_launched"
REVIEW_APPROVED = "review_approved"
REVIEW_CHANGES = "review_changes"

HIDE_PERMISSION = "community.change_comment"
RESOLVE_PERMISSION = "community.change_report"
SEND_BATCH = 200
# Sources a page of this site can give (?ref=search from the search results, ?ref=category from a
# category's page); any other tag counts under "tag:<slug>".
SITE_SOURCES = ("search", "category")
TAG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,38}[a-z0-9])?$")


# --- limits --------------------------------------------------------------------------------


def _check_rate(kind: str, who: str, setting: str) -> None:
    """Count one action of ``who`` (``user:<id>``, or ``client:<digest>`` for a visitor not signed
    in) against the setting's windows (core.throttling's counters, keyed by the account or client
    alone: one's burst never slows another); TooManyRequests past one. A refused action is taken
    back, so waiting is enough to be let in again."""
    now = time.time()
    counters = []
    for rate in parse_rates(getattr(settings, setting)):
        window = int(now // rate.seconds)
        counters.append((f"community:{kind}:{who}:{rate.seconds}:{window}", rate.seconds, rate.limit))
    try:
        hits = count_hits([(key, seconds) for key, seconds, _limit in counters])
    except redis.RedisError:
        return  # a cache outage must not silence the community
    over = [(key, seconds) for (key, seconds, limit), hit in zip(counters, hits, strict=True) if hit > limit]
    if over:
        uncount_hits([(key, seconds) for key, seconds, _limit in counters])
        wait = max(max(1, math.ceil(seconds - now % seconds)) for _key, seconds in over)
        raise TooManyRequests(
            _("You are posting too fast: wait %(seconds)d seconds, then try again.") % {"seconds": wait},
            retry_after=wait,
            code="too_many_posts",
        )


# --- e-mail ----------------------------------------------------------------------------------


def _mail(*, recipient_id: int, kind: str, key: str, **params: int | str) -> None:
    """One e-mail in the caller's transaction, sent after the commit, at most once per key."""
    try:
        with transaction.atomic():
            CommunityMail.objects.create(recipient_id=recipient_id, kind=kind, key=key, params=params)
    except IntegrityError:
        return
    enqueue_on_commit("community.tasks.send_community_mail")


def _context(mail: CommunityMail, user: User) -> dict[str, Any] | None:
    params = mail.params
    campaign = Campaign.objects.filter(pk=params.get("campaign_id")).select_related("creator").first()
    if campaign is None:
        return None
    context: dict[str, Any] = {"user": user, "campaign": campaign, **params}
    if "comment_id" in params:
        comment = Comment.objects.filter(pk=params["comment_id"], hidden_at__isnull=True).first()
        if comment is None:
            return None  # hidden (or gone) before its e-mail left: nothing to send
        context["comment"] = comment
        context["author"] = comment.author.get_username()
    if mail.kind in (REVIEW_APPROVED, REVIEW_CHANGES):
        context["studio_url"] = absolute_url("studio-campaign", campaign.slug)
    elif mail.kind == CAMPAIGN_LAUNCHED or campaign.state != Campaign.State.DRAFT:
        context["campaign_url"] = absolute_url("campaign-page", campaign.slug)
    else:
        context["campaign_url"] = absolute_url("coming-soon-page", campaign.slug)
    return context


def _build(mail: CommunityMail) -> EmailMultiAlternatives | None:
    user = User.objects.select_related("profile").get(pk=mail.recipient_id)
    if not user.email:
        return None
    campaign_id = mail.params.get("campaign_id")
    optional = mail.kind in (CAMPAIGN_LAUNCHED, COMMENT_NEW, COMMENT_REPLY, COMMENT_DIGEST)
    if (
        optional
        and Unsubscription.objects.filter(Q(campaign__isnull=True) | Q(campaign_id=campaign_id), user=user).exists()
    ):
        return None
    context = _context(mail, user)
    if context is None:
        return None
    unsubscribe = unsubscribe_url(user_id=user.pk, campaign_id=None) if optional else None
    subject, text, html = render_email(
        f"community_{mail.kind}", context, unsubscribe=unsubscribe, language=user_language(user)
    )
    return build_email(
        to=user.email, subject=subject, text=text, html=html, message_id=f"community-{mail.pk}", unsubscribe=unsubscribe
    )


def community_mails_send(*, limit: int = SEND_BATCH) -> int:
    return drain(lambda: CommunityMail.objects.all(), _build, limit=limit)


# --- comments --------------------------------------------------------------------------------


def _check_may_post(author: User, campaign: Campaign) -> bool:
    """Whether the author posts as the creator; NotAllowed unless creator or backer (a pledge
    in Pledge.BACKER_STATES: a canceled, released or dropped pledge gives no voice)."""
    if campaign.creator_id == author.pk:
        return True
    if backer_pledge(author, campaign) is not None:
        return False
    if Pledge.objects.filter(backer=author, campaign=campaign, state=Pledge.State.CANCELED).exists():
        raise NotAllowed(_("Your pledge was canceled, so you can no longer comment here."), code="not_a_backer")
    raise NotAllowed(_("Only backers of this campaign can comment on it."), code="not_a_backer")


def _parent_for(campaign: Campaign, update_id: int | None, parent_id: int | None) -> Comment | None:
    if parent_id is None:
        return None
    parent = Comment.objects.filter(pk=parent_id, campaign=campaign, update_id=update_id).first()
    if parent is None:
        raise InvalidInput(_("That comment is not one of this page's."), code="invalid_parent")
    if parent.parent_id is not None:  # one level of replies: a reply to a reply joins its thread
        parent = Comment.objects.get(pk=parent.parent_id)
    if parent.hidden_at is not None:
        raise Conflict(_("That comment was hidden; it takes no replies."), code="comment_hidden")
    return parent


def comment_post(
    *,
    author: User,
    campaign: Campaign,
    body: str,
    update_id: int | None = None,
    parent_id: int | None = None,
) -> Comment:
    """A backer's or the creator's comment (or reply) on a campaign or one of its updates.

    Counted against COMMENT_RATE_LIMIT (per account) before anything else; the Markdown is
    checked and rendered once (core.markdown) before any row is locked."""
    by_creator = _check_may_post(author, campaign)
    if update_id is not None and not comment_sees_update(author, campaign, update_id):
        raise InvalidInput(_("That update is not one you can comment on."), code="invalid_update")
    body = body.strip()
    if not body:
        raise InvalidInput(_("Write something first."), code="invalid_comment")
    body_html = render_for_storage(body, field="comment", max_length=Comment.BODY_MAX_LENGTH)
    _check_rate("comment", f"user:{author.pk}", "COMMENT_RATE_LIMIT")
    with transaction.atomic():
        parent = _parent_for(campaign, update_id, parent_id)
        comment = Comment.objects.create(
            campaign=campaign,
            update_id=update_id,
            parent=parent,
            author=author,
            by_creator=by_creator,
            body=body,
            body_html=body_html,
        )
        _mail_about(comment, campaign)
        transaction.on_commit(lambda: invalidate_campaign(campaign.pk))
    return comment


def _mail_about(comment: Comment, campaign: Campaign) -> None:
    ids = {"campaign_id": campaign.pk, "comment_id": comment.pk}
    if comment.parent is not None and comment.parent.author_id != comment.author_id:
        _mail(recipient_id=comment.parent.author_id, kind=COMMENT_REPLY, key=f"reply:{comment.pk}", **ids)
    if comment.by_creator:
        return
    replied_to_creator = comment.parent is not None and comment.parent.author_id == campaign.creator_id
    mode = CommentMailPreference.objects.filter(user_id=campaign.creator_id).values_list("mode", flat=True).first()
    if mode != CommentMailPreference.Mode.DAILY and not replied_to_creator:
        _mail(recipient_id=campaign.creator_id, kind=COMMENT_NEW, key=f"comment:{comment.pk}", **ids)


def comment_moderator(user: User | AnonymousUser, campaign: Campaign) -> bool:
    """Who may hide the campaign's comments: its creator, and staff holding community.change_comment."""
    return bool(user.is_authenticated and campaign.creator_id == user.pk) or staff_may(user, HIDE_PERMISSION)


@transaction.atomic
def comment_hide(*, comment: Comment, by: User, hidden: bool = True) -> Comment:
    """The campaign's creator or staff (community.change_comment) hide a comment (or show it again)."""
    comment = Comment.objects.select_for_update().select_related("campaign").get(pk=comment.pk)
    if not comment_moderator(by, comment.campaign):
        raise NotAllowed(_("Only the campaign's creator or staff may hide a comment."))
    comment.hidden_at = timezone.now() if hidden else None
    comment.hidden_by = by if hidden else None
    comment.save(update_fields=["hidden_at", "hidden_by"])
    transaction.on_commit(lambda: invalidate_campaign(comment.campaign_id))
    return comment


# --- reports ---------------------------------------------------------------------------------


def report_file(
    *,
    reporter: User | None,
    campaign: Campaign,
    reason: str,
    text: str = "",
    comment: Comment | None = None,
    client: str = "",
) -> Report:
    """Anyone reports a campaign to staff, and anyone signed in one of its comments.

    REPORT_RATE_LIMIT counts per account, or, for a visitor who is not signed in (``reporter``
    None), per client: a keyed digest of the request's address, which is not kept."""
    if comment is not None and reporter is None:
        raise NotAllowed(_("Log in to report a comment."), code="not_authenticated")
    if reason not in Report.Reason.values:
        raise InvalidInput(_("Choose a reason."), code="invalid_reason")
    text = check_markdown(text.strip(), field="report", max_length=Report.TEXT_MAX_LENGTH)
    if comment is not None and comment.campaign_id != campaign.pk:
        raise InvalidInput(_("That comment is not one of this campaign's."), code="invalid_comment")
    if reporter is not None:
        who = f"user:{reporter.pk}"
    else:
        who = "client:" + salted_hmac("community.report_client", client, algorithm="sha256").hexdigest()
    _check_rate("report", who, "REPORT_RATE_LIMIT")
    return Report.objects.create(reporter=reporter, campaign=campaign, comment=comment, reason=reason, text=text)


@transaction.atomic
def report_resolve(*, report: Report, by: User) -> Report:
    if not staff_may(by, RESOLVE_PERMISSION):
        raise NotAllowed(_("Only staff may resolve reports."))
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.resolved_at is None:
        report.resolved_at, report.resolved_by = timezone.now(), by
        report.save(update_fields=["resolved_at", "resolved_by"])
    return report


# --- follows and the launch e-mail -----------------------------------------------------------


def launch_follow(*, user: User, campaign: Campaign, follow: bool = True) -> None:
    """Ask (or stop asking) to hear when a coming-soon campaign launches."""
    if not follow:
        LaunchFollow.objects.filter(user=user, campaign=campaign).delete()
        return
    if not campaign.is_coming_soon:
        raise Conflict(_("Only a campaign that is coming soon can be followed."), code="not_coming_soon")
    if campaign.creator_id == user.pk:
        raise InvalidInput(_("You cannot follow your own campaign."), code="own_campaign")
    LaunchFollow.objects.get_or_create(user=user, campaign=campaign)
    transaction.on_commit(lambda: invalidate_campaign(campaign.pk))


def creator_follow(*, user: User, creator: AbstractBaseUser, follow: bool = True) -> None:
    """Follow (or stop following) a creator: an e-mail whenever they launch a campaign."""
    if creator.pk == user.pk:
        raise InvalidInput(_("You cannot follow yourself."), code="own_account")
    if follow:
        CreatorFollow.objects.get_or_create(user=user, creator_id=creator.pk)
    else:
        CreatorFollow.objects.filter(user=user, creator_id=creator.pk).delete()


def _launch_audience(campaign: Campaign) -> QuerySet[Any]:
    followers = LaunchFollow.objects.filter(campaign=campaign).values_list("user_id", flat=True)
    fans = CreatorFollow.objects.filter(creator_id=campaign.creator_id).values_list("user_id", flat=True)
    return followers.union(fans)


def launch_mails_fan_out(*, campaign_id: int) -> int:
    """One launch e-mail per follower of the campaign or of its creator; a second run adds nobody."""
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.state == Campaign.State.DRAFT:
        return 0
    rows = (
        CommunityMail(
            recipient_id=user_id,
            kind=CAMPAIGN_LAUNCHED,
            key=f"{CAMPAIGN_LAUNCHED}:{campaign_id}:{user_id}",
            params={"campaign_id": campaign_id},
        )
        for user_id in _launch_audience(campaign).iterator(chunk_size=1000)
        if user_id != campaign.creator_id
    )
    return insert_missing(
        CommunityMail,
        rows,
        existing=CommunityMail.objects.filter(kind=CAMPAIGN_LAUNCHED, params__campaign_id=campaign_id),
    )


def review_mail(*, campaign_id: int, approved: bool) -> None:
    """The creator hears that staff approved their draft, or asked for changes."""
    campaign = Campaign.objects.only("creator_id", "reviewed_at").get(pk=campaign_id)
    kind = REVIEW_APPROVED if approved else REVIEW_CHANGES
    stamp = campaign.reviewed_at.isoformat() if campaign.reviewed_at else ""
    _mail(recipient_id=campaign.creator_id, kind=kind, key=f"{kind}:{campaign_id}:{stamp}", campaign_id=campaign_id)


def comment_mail_mode_set(*, user: User, mode: str) -> None:
    if mode not in CommentMailPreference.Mode.values:
        raise InvalidInput(_("Unknown choice."), code="invalid_mode")
    CommentMailPreference.objects.update_or_create(user=user, defaults={"mode": mode})


def comment_digests(*, now: datetime | None = None) -> int:
    """Daily: creators who chose the digest hear of the last day's comments, once per campaign a day."""
    now = now or timezone.now()
    since = now - timedelta(days=1)
    daily = CommentMailPreference.objects.filter(mode=CommentMailPreference.Mode.DAILY).values("user_id")
    campaigns = (
        Campaign.objects.filter(creator_id__in=daily)
        .annotate(
            new=Count(
                "comments",
                filter=Q(comments__created_at__gt=since, comments__created_at__lte=now, comments__by_creator=False),
            )
        )
        .filter(new__gt=0)
    )
    count = 0
    day: date = now.date()
    with transaction.atomic():
        for campaign in campaigns:
            _mail(
                recipient_id=campaign.creator_id,
                kind=COMMENT_DIGEST,
                key=f"{COMMENT_DIGEST}:{campaign.pk}:{day.isoformat()}",
                campaign_id=campaign.pk,
                new_comments=campaign.new,
            )
            count += 1
    return count


# --- referrals -------------------------------------------------------------------------------


def referral_tag_clean(value: str) -> str:
    """A tag as creators type it: lower-case letters, digits, - and _, 1 to 40 characters."""
    slug = value.strip().lower()
    if not TAG_PATTERN.match(slug):
        raise InvalidInput(
            _("A tag is 1 to 40 lower-case letters, digits, - or _ (starting and ending with a letter or digit)."),
            code="invalid_tag",
        )
    if slug in SITE_SOURCES or slug == "direct":
        raise InvalidInput(_("That tag is reserved; choose another."), code="invalid_tag")
    return slug


def referral_tag_create(*, campaign: Campaign, slug: str) -> ReferralTag:
    slug = referral_tag_clean(slug)
    if campaign.state not in (Campaign.State.DRAFT, Campaign.State.LIVE):
        raise Conflict(_("This campaign has ended."), code="campaign_closed")
    tag, created = ReferralTag.objects.get_or_create(campaign=campaign, slug=slug)
    if not created:
        raise Conflict(_("This campaign has that tag already."), code="duplicate_tag")
    return tag


def referral_tag_delete(*, tag: ReferralTag) -> None:
    """The tag goes; pledges that came through it keep their source."""
    tag.delete()


def referral_source(*, ref: str | None, referer: str | None, own_host: str) -> str | None:
    """The source a visit gives its pledge: ?ref= first (search, category, or a tag), then an outside
    Referer's domain, then a page of this site (its search or a category); None: nothing to say."""
    if ref:
        tag = ref.strip().lower()
        if tag in SITE_SOURCES:
            return tag
        if TAG_PATTERN.match(tag):
            return f"tag:{tag}"
    if referer:
        parts = urlsplit(referer)
        host = (parts.hostname or "").lower()
        if host and host != own_host.split(":")[0].lower():
            domain = host.removeprefix("www.")[: PledgeReferral.SOURCE_MAX_LENGTH - 5]
            if re.fullmatch(r"[a-z0-9.-]+", domain):
                return f"site:{domain}"
        elif host and (parts.path.startswith("/search") or "q=" in parts.query):
            return "search"
        elif host and (parts.path.startswith("/categories") or parts.path.startswith("/discover")):
            return "category"
    return None


def referral_record(*, pledge: Pledge, source: str | None) -> None:
    """Store where a pledge came from (the checkout kept it); once per pledge, nothing for direct."""
    if not source or len(source) > PledgeReferral.SOURCE_MAX_LENGTH:
        return
    if not (source in SITE_SOURCES or source.startswith(("tag:", "site:"))):
        return
    PledgeReferral.objects.get_or_create(pledge=pledge, defaults={"campaign_id": pledge.campaign_id, "source": source})


# --- accounts going ----------------------------------------------------------------------------


def community_erase(*, user_id: int) -> None:
    """A deleted account's follows, reports, preferences and e-mails go (comments go with the user row)."""
    LaunchFollow.objects.filter(user_id=user_id).delete()
    CreatorFollow.objects.filter(Q(user_id=user_id) | Q(creator_id=user_id)).delete()
    CommunityMail.objects.filter(recipient_id=user_id).delete()
    CommentMailPreference.objects.filter(user_id=user_id).delete()
