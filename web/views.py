"""Server-rendered pages about campaigns: the list, a campaign's page, its reminder.

Views translate only: reads come from the apps' selectors, writes go through their services
(the same ones the API calls), and a domain error becomes a message on the page.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.models import Campaign
from campaigns.selectors import LISTED_STATES, campaign_id_for_slug, campaigns_listed, campaigns_visible_to
from campaigns.video import video_embed_url
from community.selectors import update_comment_counts
from core.errors import DomainError
from core.hotcache import LIST_SCOPE, cached_page, campaign_scope
from core.markdown import plain_text, shift_headings
from discovery.selectors import categories_listed, home_sections
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
    # The home page's sections above the list: staff picks, ending soon, new (discovery.selectors).
    home = home_sections(request.user) if not (search or state) and page.number == 1 else None
    return render(
        request,
        "web/campaign_list.html",
        {
            "page": page,
            "search": search,
            "state": state,
            "states": states,
            "query": query,
            "home": home,
            "categories": categories_listed() if home else None,
        },
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


def _absolute(url: str) -> str:
    """An address for other sites (link previews): SITE_URL before a path of ours. The page is
    cached for every host, so the request's own host is not used."""
    return url if "://" in url else settings.SITE_URL.rstrip("/") + url


DEFAULT_SHARE_IMAGE = "web/share-default.png"  # 1200 x 630, as link previews ask


def _sharing(campaign: Campaign) -> dict:
    """Open Graph and Twitter card tags, and plain share links (no third-party script)."""
    url = _absolute(reverse("campaign-page", args=[campaign.slug]))
    description = campaign.blurb or Truncator(plain_text(campaign.description_html)).chars(200)
    return {
        "url": url,
        "title": campaign.title,
        "description": description,
        # A campaign without a picture is still shared with one: link previews want an image.
        "image": _absolute(campaign.image.url if campaign.image else static(DEFAULT_SHARE_IMAGE)),
        "image_alt": campaign.image_alt if campaign.image else "Pledgeboard",
        "links": [
            ("e-mail", _("E-mail"), "mailto:?" + urlencode({"subject": campaign.title, "body": url})),
            ("x", "X", "https://x.com/intent/post?" + urlencode({"text": campaign.title, "url": url})),
            ("facebook", "Facebook", "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url})),
            ("bluesky", "Bluesky", "https://bsky.app/intent/compose?" + urlencode({"text": f"{campaign.title} {url}"})),
        ],
    }


@cached_page(_campaign_page_scope)
def campaign_detail(request, slug: str):
    campaign = get_object_or_404(campaigns_visible_to(request.user), slug=slug)
    shown = list(updates_visible_to(campaign, request.user)[:20])
    comments = update_comment_counts([update.pk for update in shown]) if shown else {}
    updates = [
        {
            "update": update,
            "html": shift_headings(update.body_html, top_heading=4),
            "comments": comments.get(update.pk, 0),
        }
        for update in shown
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
            "share": _sharing(campaign),
            "video": video_embed_url(campaign.video_url) if campaign.video_url else None,
            "faq": list(campaign.faq.all()),
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
