"""``{% campaign_comments campaign %}``: a campaign's comments (with the form for those who may post),
drawn by community/_comments.html, so the campaign page needs one line and no view change."""

from typing import Any

from django import template

from community.selectors import comment_may_post, comments_for
from community.services import comment_moderator

register = template.Library()


@register.inclusion_tag("community/_comments.html", takes_context=True)
def campaign_comments(context: template.Context, campaign: Any) -> dict[str, Any]:
    request = context["request"]
    user = request.user
    threads = []
    for comment in comments_for(campaign)[:200]:
        replies = list(comment.replies.all())
        threads.append({"comment": comment, "replies": replies})
    may_post = comment_may_post(user, campaign)
    return {
        "campaign": campaign,
        "threads": threads,
        "may_post": may_post,
        "may_hide": comment_moderator(user, campaign),
        "user": user,
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
