"""``{% campaign_comments campaign %}`` (or ``{% campaign_comments campaign update %}``): the comments on
a campaign or on one of its updates, with the form for those who may post, drawn by
community/_comments.html, so the campaign page and an update's page each need one line."""

from typing import Any

from django import template

from community.selectors import comment_may_post, comments_for
from community.services import comment_moderator

register = template.Library()


@register.inclusion_tag("community/_comments.html", takes_context=True)
def campaign_comments(context: template.Context, campaign: Any, update: Any = None) -> dict[str, Any]:
    """The comments on the campaign, or on one of its updates (its page shows it to this user)."""
    request = context["request"]
    user = request.user
    threads = []
    for comment in comments_for(campaign, update_id=update.pk if update is not None else None)[:200]:
        replies = list(comment.replies.all())
        threads.append({"comment": comment, "replies": replies})
    may_post = comment_may_post(user, campaign)
    return {
        "campaign": campaign,
        "update": update,
        "threads": threads,
        "may_post": may_post,
        "may_hide": comment_moderator(user, campaign),
        "user": user,
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
