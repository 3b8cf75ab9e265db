"""Server-rendered pages about campaigns: the list, a campaign's page, its reminder.

Views translate only: reads come from the apps' selectors, writes go through their services
(the same ones the API calls), and a domain error becomes a message on the page.
"""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.models import Campaign
from campaigns.selectors import LISTED_STATES, campaign_id_for_slug, campaigns_listed, campaigns_visible_to
from core.errors import DomainError
from core.hotcache import LIST_SCOPE, cached_page, campaign_scope
from core.markdown import shift_headings
from notifications.models import Reminder
from notifications.services import reminder_remove, reminder_set
from payouts.selectors import verified_name_of
from pledges.models import Pledge
from updates.selectors import updates_visible_to
from web.charts import funding_series

PAGE_SIZE = 12


def _campaign_page_scope(slug: str) -> str | None:
    campaign_id = campaign_id_for_slug(slug)
    return campaign_scope(campaign_id) if campaign_id is not None else None


# Both pages are the same for every visitor without cookies (signed out, no message, no CSRF
# token on them): served from the hot cache, exact in state, words and limited stock, totals at
# most a second old (core/hotcache.py). Everyone else gets the page built for them.
@cached_page(lambda **kwargs: LIST_SCOPE)
def campaign_list(request):
    search = request.GET.get("q", "").strip()[:200]
    state = request.GET.get("state", "")
    if state not in LISTED_STATES:
        state = ""
    page = Paginator(campaigns_listed(request.user, search=search, state=state), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = urlencode({key: value for key, value in (("q", search), ("state", state)) if value})
    states = [(value, label) for value, label in Campaign.State.choices if value in LISTED_STATES]
    return render(
        request,
        "web/campaign_list.html",
        {"page": page, "search": search, "state": state, "states": states, "query": query},
    )


def _chart(campaign: Campaign) -> dict | None:
    """The funding chart's data (web.charts), with its legend in the page's language (the
    script has no catalogue of its own)."""
    data, _stats = funding_series(campaign)
    if data is not None:
        data["legend"] = {
            "pledged": _("Pledged (%(currency)s)") % {"currency": campaign.currency},
            "projection": _("Projection"),
            "goal": _("Goal"),
        }
    return data


@cached_page(_campaign_page_scope)
def campaign_detail(request, slug: str):
    campaign = get_object_or_404(campaigns_visible_to(request.user), slug=slug)
    updates = [
        {"update": update, "html": shift_headings(update.body_html, top_heading=4)}
        for update in updates_visible_to(campaign, request.user)[:20]
    ]
    chart = _chart(campaign)
    my_pledge = reminded = None
    if request.user.is_authenticated:
        my_pledge = Pledge.objects.filter(backer=request.user, campaign=campaign, state__in=Pledge.LIVE_STATES).first()
        reminded = Reminder.objects.filter(user=request.user, campaign=campaign).exists()
    return render(
        request,
        "web/campaign_detail.html",
        {
            "campaign": campaign,
            "story": shift_headings(campaign.description_html, top_heading=3),
            "rewards": campaign.rewards.prefetch_related("shipping_rules"),
            "add_ons": campaign.add_ons.prefetch_related("tiers"),
            "updates": updates,
            "progress": min(campaign.percent_funded, 100),
            "chart": chart,
            "projected": Decimal(chart["projected"]) if chart and chart["projected"] else None,
            "my_pledge": my_pledge,
            "reminded": reminded,
            "is_creator": request.user.is_authenticated and campaign.creator_id == request.user.pk,
            "verified_name": verified_name_of(campaign.creator_id),
        },
    )


@login_required
@require_POST
def campaign_remind(request, slug: str):
    """Ask for (or stop) the e-mail 48 hours before the campaign ends."""
    campaign = get_object_or_404(campaigns_visible_to(request.user), slug=slug)
    try:
        if request.POST.get("remind") == "off":
            reminder_remove(user=request.user, campaign=campaign)
            messages.success(request, _("We won't remind you of this campaign."))
        else:
            reminder_set(user=request.user, campaign=campaign)
            messages.success(request, _("We'll e-mail you 48 hours before this campaign ends."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("campaign-page", slug=campaign.slug)
