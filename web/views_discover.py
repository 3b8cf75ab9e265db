"""Finding campaigns on the site: the results page with its filters and sort orders, a
creator's public profile, a campaign's Atom feed of public updates.

Views translate only: the reads are discovery.selectors' (the API's list uses the same)."""

from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.selectors import public_name
from campaigns.models import Campaign
from campaigns.selectors import LISTED_STATES, campaigns_visible_to
from core.hotcache import LIST_SCOPE, cached_page
from core.text import invisible_character
from discovery.selectors import (
    FUNDING_CHOICES,
    Sort,
    campaigns_discover,
    categories_listed,
    clean_filters,
    creator_profile,
)
from updates.selectors import updates_visible_to

PAGE_SIZE = 12
FILTER_NAMES = ("q", "category", "state", "location", "funding", "sort")


@cached_page(lambda **kwargs: LIST_SCOPE)
def discover(request):
    """Search results and browsing: ?q=, ?category=, ?state=, ?location=, ?funding=, ?sort=.
    Signed out and without a query string, the page comes from the hot cache."""
    asked = {name: request.GET.get(name, "")[:1000] for name in FILTER_NAMES}
    filters = clean_filters(
        search=asked["q"],
        category=asked["category"],
        state=asked["state"],
        location=asked["location"],
        funding=asked["funding"],
        sort=asked["sort"],
    )
    page = Paginator(campaigns_discover(request.user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    chosen = {
        "q": filters.search,
        "category": filters.category,
        "state": filters.state,
        "location": filters.location,
        "funding": filters.funding,
        "sort": filters.sort,
    }
    states = [(value, label) for value, label in Campaign.State.choices if value in LISTED_STATES]
    return render(
        request,
        "web/discover.html",
        {
            "page": page,
            "filters": chosen,
            "filtering": any(chosen.values()),
            "query": urlencode({key: value for key, value in chosen.items() if value}),
            "categories": categories_listed(),
            "states": states,
            "fundings": FUNDING_CHOICES,
            "sorts": [(value, label) for value, label in Sort.CHOICES if value != Sort.RELEVANCE or filters.search],
        },
    )


def profile(request, username: str):
    """A person's public page: name, picture, bio, website, location, their campaigns."""
    found = None if invisible_character(username) else creator_profile(request.user, username)
    if found is None:
        raise Http404
    return render(request, "web/profile.html", {"profile": found, "name": public_name(found.user)})


class CampaignUpdatesFeed(Feed):
    """The public updates of a public campaign, newest first, as Atom."""

    feed_type = Atom1Feed

    def get_object(self, request, slug: str):
        return get_object_or_404(campaigns_visible_to(AnonymousUser()), slug=slug)

    def title(self, obj: Campaign) -> str:
        return _("Updates: %(title)s") % {"title": obj.title}

    def link(self, obj: Campaign) -> str:
        return reverse("campaign-page", args=[obj.slug])

    def subtitle(self, obj: Campaign) -> str:
        return obj.blurb or obj.title

    def items(self, obj: Campaign):
        return list(updates_visible_to(obj, AnonymousUser())[:20])

    def item_title(self, item) -> str:
        return item.title

    def item_description(self, item) -> str:
        return item.body_html

    def item_link(self, item) -> str:
        return reverse("campaign-page", args=[item.campaign.slug]) + f"#update-{item.number}"

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.published_at
