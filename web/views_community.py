"""Pages of the community: coming-soon pages and their "Notify me on launch", following a creator,
comments (post, reply, hide, report) on a campaign and on an update's own page, reporting a
campaign, the studio's community section (review, coming soon, referral tags and sources,
comment e-mails) and the staff's review queue.

Views translate only: community.services and campaigns.services do the work, a domain error
becomes a message on the page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.models import Campaign
from campaigns.selectors import campaigns_awaiting_review, campaigns_visible_to
from campaigns.services import campaign_coming_soon_set, campaign_review_decide
from community import selectors, services
from community.models import Comment, CommentMailPreference, ReferralTag, Report
from core.clients import client_address
from core.errors import DomainError
from core.markdown import shift_headings
from updates.models import CampaignUpdate
from updates.selectors import updates_visible_to


def _campaign_for_visitor(request, slug: str) -> Campaign:
    campaign = campaigns_visible_to(request.user).filter(slug=slug).first()
    return campaign or get_object_or_404(selectors.coming_soon_campaigns(), slug=slug)


# --- pre-launch ------------------------------------------------------------------------------


def coming_soon_page(request, slug: str):
    """A draft the creator shows as "coming soon"; once launched, the campaign's own page."""
    campaign = Campaign.objects.select_related("creator").filter(slug=slug).first()
    if campaign is None:
        raise Http404
    if campaign.state != Campaign.State.DRAFT:
        if campaigns_visible_to(request.user).filter(pk=campaign.pk).exists():
            return redirect("campaign-page", slug=campaign.slug)
        raise Http404
    if campaign.coming_soon_at is None and campaign.creator_id != request.user.pk:
        raise Http404
    return render(
        request,
        "web/community/coming_soon.html",
        {
            "campaign": campaign,
            "followers": selectors.follower_count_shown(campaign),
            "following": selectors.follows_launch(request.user, campaign),
            "follows_creator": selectors.follows_creator(request.user, campaign.creator_id),
            "is_creator": request.user.is_authenticated and campaign.creator_id == request.user.pk,
        },
    )


@login_required
@require_POST
def coming_soon_follow(request, slug: str):
    campaign = get_object_or_404(selectors.coming_soon_campaigns(), slug=slug)
    follow = request.POST.get("follow") != "off"
    try:
        services.launch_follow(user=request.user, campaign=campaign, follow=follow)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if follow:
            messages.success(request, _("We'll e-mail you when this campaign launches."))
        else:
            messages.success(request, _("We won't e-mail you about this launch."))
    return redirect("coming-soon-page", slug=campaign.slug)


@login_required
@require_POST
def creator_follow_view(request, username: str):
    creator = get_object_or_404(User, username=username, is_active=True)
    follow = request.POST.get("follow") != "off"
    try:
        services.creator_follow(user=request.user, creator=creator, follow=follow)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if follow:
            messages.success(
                request, _("You follow %(name)s: we'll e-mail you when they launch a campaign.") % {"name": username}
            )
        else:
            messages.success(request, _("You no longer follow %(name)s.") % {"name": username})
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/") and not back.startswith("//") else "home")


# --- comments and reports ----------------------------------------------------------------------


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 18 else None


def update_page(request, slug: str, number: int):
    """One update and its comments, for those who may read it: backers and the creator talk here."""
    campaign = get_object_or_404(campaigns_visible_to(request.user), slug=slug)
    update = get_object_or_404(updates_visible_to(campaign, request.user), number=number)
    html = shift_headings(update.body_html, top_heading=2)
    return render(request, "web/community/update.html", {"campaign": campaign, "update": update, "html": html})


def _comments_url(campaign: Campaign, update: CampaignUpdate | None) -> str:
    if update is None:
        return f"/campaigns/{campaign.slug}/"
    return reverse("update-page", args=[campaign.slug, update.number])


@login_required
@require_POST
def comment_post_view(request, slug: str):
    campaign = get_object_or_404(campaigns_visible_to(request.user), slug=slug)
    raw_update = request.POST.get("update", "")
    update_id = _int_or_none(raw_update)
    if raw_update and update_id is None:
        messages.error(request, _("That update is not one you can comment on."))
        return redirect(f"/campaigns/{campaign.slug}/#comments")
    update = campaign.updates.filter(pk=update_id).first() if update_id is not None else None
    try:
        comment = services.comment_post(
            author=request.user,
            campaign=campaign,
            body=request.POST.get("body", ""),
            update_id=update_id,
            parent_id=_int_or_none(request.POST.get("parent")),
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(_comments_url(campaign, update) + "#comments")
    messages.success(request, _("Your comment is posted."))
    return redirect(_comments_url(campaign, update) + f"#comment-{comment.pk}")


@login_required
@require_POST
def comment_hide_view(request, comment_id: int):
    comment = get_object_or_404(Comment.objects.select_related("campaign", "update"), pk=comment_id)
    try:
        services.comment_hide(comment=comment, by=request.user, hidden=request.POST.get("hidden", "1") != "0")
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("The comment is hidden.") if request.POST.get("hidden", "1") != "0" else _("The comment shows again."),
        )
    return redirect(_comments_url(comment.campaign, comment.update) + f"#comment-{comment.pk}")


def _report_page(request, campaign: Campaign, comment: Comment | None):
    error = None
    if request.method == "POST":
        try:
            services.report_file(
                reporter=request.user if request.user.is_authenticated else None,
                campaign=campaign,
                comment=comment,
                reason=request.POST.get("reason", ""),
                text=request.POST.get("text", ""),
                client=client_address(request),
            )
        except DomainError as refused:
            error = refused.message
        else:
            messages.success(request, _("Thank you: our staff will look at your report."))
            return redirect(
                "campaign-page" if campaign.state != Campaign.State.DRAFT else "coming-soon-page", slug=campaign.slug
            )
    return render(
        request,
        "web/community/report.html",
        {"campaign": campaign, "comment": comment, "reasons": Report.Reason.choices, "error": error},
        status=400 if error else 200,
    )


@login_required
def comment_report_view(request, comment_id: int):
    comment = get_object_or_404(Comment.objects.select_related("campaign"), pk=comment_id, hidden_at__isnull=True)
    campaign = get_object_or_404(campaigns_visible_to(request.user), pk=comment.campaign_id)
    return _report_page(request, campaign, comment)


def campaign_report_view(request, slug: str):
    """Anyone may report a campaign, signed in or not."""
    return _report_page(request, _campaign_for_visitor(request, slug), None)


# --- the studio ---------------------------------------------------------------------------------


def _own_campaign(request, slug: str) -> Campaign:
    return get_object_or_404(Campaign.objects.filter(creator=request.user), slug=slug)


def studio_community_context(request, campaign: Campaign) -> dict:
    """What the studio dashboard's community section shows (web/community/_studio.html)."""
    mode = CommentMailPreference.objects.filter(user=request.user).values_list("mode", flat=True).first()
    return {
        "referrals": selectors.referral_stats(campaign) if campaign.state != Campaign.State.DRAFT else None,
        "tags": list(campaign.referral_tags.all()),
        "followers": selectors.follower_count(campaign),
        "comment_mode": mode or CommentMailPreference.Mode.EACH,
        "comment_modes": CommentMailPreference.Mode.choices,
    }


@login_required
@require_POST
def studio_coming_soon(request, slug: str):
    campaign = _own_campaign(request, slug)
    public = request.POST.get("public") == "1"
    try:
        campaign_coming_soon_set(campaign=campaign, public=public)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Your coming-soon page is public.") if public else _("Your coming-soon page is hidden.")
        )
    return redirect("studio-campaign", slug=campaign.slug)


@login_required
@require_POST
def studio_referral_tag(request, slug: str):
    campaign = _own_campaign(request, slug)
    try:
        services.referral_tag_create(campaign=campaign, slug=request.POST.get("slug", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The tag is ready: share the link shown beside it."))
    return redirect(f"/studio/{campaign.slug}/#referrals-title")


@login_required
@require_POST
def studio_referral_tag_delete(request, slug: str, tag: str):
    campaign = _own_campaign(request, slug)
    services.referral_tag_delete(tag=get_object_or_404(ReferralTag, campaign=campaign, slug=tag))
    messages.success(request, _("The tag is removed."))
    return redirect(f"/studio/{campaign.slug}/#referrals-title")


@login_required
@require_POST
def studio_comment_mail(request, slug: str):
    campaign = _own_campaign(request, slug)
    try:
        services.comment_mail_mode_set(user=request.user, mode=request.POST.get("mode", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your choice is saved."))
    return redirect("studio-campaign", slug=campaign.slug)


# --- staff: the review queue ----------------------------------------------------------------------


def _check_reviewer(request) -> None:
    if not (request.user.is_staff and request.user.has_perm("campaigns.review_campaign")):
        raise PermissionDenied


@login_required
def staff_reviews(request):
    """The drafts awaiting review, the longest waiting first, each with approve / ask for changes."""
    _check_reviewer(request)
    return render(request, "web/community/reviews.html", {"campaigns": campaigns_awaiting_review()[:100]})


@login_required
@require_POST
def staff_review_decide(request, slug: str):
    _check_reviewer(request)
    campaign = get_object_or_404(Campaign, slug=slug, state=Campaign.State.DRAFT)
    approve = request.POST.get("decision") == "approve"
    try:
        campaign_review_decide(
            campaign=campaign, reviewer=request.user, approve=approve, message=request.POST.get("message", "")
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if approve:
            messages.success(
                request, _("“%(title)s” is approved; its creator can launch it.") % {"title": campaign.title}
            )
        else:
            messages.success(request, _("The creator of “%(title)s” is asked for changes.") % {"title": campaign.title})
    return redirect("staff-reviews")
