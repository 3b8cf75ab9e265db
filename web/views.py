"""Server-rendered pages: the campaign list and a campaign's page (what e-mails link to)."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from campaigns.selectors import campaign_id_for_slug, campaigns_visible_to
from core.hotcache import cached_page, campaign_scope
from core.markdown import render_markdown
from updates.selectors import updates_visible_to


def campaign_list(request):
    campaigns = campaigns_visible_to(request.user).exclude(state="canceled").order_by("-launched_at", "-id")
    page = Paginator(campaigns, 24).get_page(request.GET.get("page"))
    return render(request, "web/campaign_list.html", {"page": page})


def _page_scope(slug: str) -> str | None:
    campaign_id = campaign_id_for_slug(slug)
    return None if campaign_id is None else campaign_scope(campaign_id)


@cached_page(_page_scope)
def campaign_detail(request, slug: str):
    campaign = get_object_or_404(campaigns_visible_to(request.user).prefetch_related("rewards"), slug=slug)
    updates = [
        {"update": update, "html": render_markdown(update.body)}
        for update in updates_visible_to(campaign, request.user)[:20]
    ]
    return render(
        request,
        "web/campaign_detail.html",
        {
            "campaign": campaign,
            "rewards": campaign.rewards.all(),
            "updates": updates,
            "progress": min(campaign.percent_funded, 100),
        },
    )
