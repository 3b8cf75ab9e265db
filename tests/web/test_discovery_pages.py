"""The discovery pages: the results page's filters and sorts, the home page's sections (staff
picks set with a permission), creator profiles, and what a shared campaign link shows (Open
Graph, Twitter card, video player, FAQ, risks, backers per tier, the Atom feed)."""

import io
import re
from datetime import timedelta
from decimal import Decimal
from html import unescape
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from PIL import Image

from accounts.models import Profile
from accounts.services import profile_update
from campaigns.models import Campaign, Category
from campaigns.services import campaign_pick, campaign_set_faq, campaign_update
from payouts.models import PayoutAccount
from tests import factories
from updates.models import CampaignUpdate
from updates.services import update_publish

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("categories")]


def _category(slug: str) -> Category:
    return Category.objects.get(slug=slug)


def _titles(response) -> list[str]:
    return [campaign.title for campaign in response.context["page"]]


@pytest.fixture
def shelf():
    """Three live campaigns: music (albums) half funded, games fully funded, a draft in comics."""
    album = factories.LiveCampaignFactory(
        title="Theatre Is Evil", goal=Decimal("100.00"), category=_category("albums"), days=20
    )
    game = factories.LiveCampaignFactory(
        title="Dice Tower", goal=Decimal("100.00"), category=_category("games"), days=5
    )
    factories.DraftCampaignFactory(title="Secret Comic", category=_category("comics"))
    Campaign.objects.filter(pk=album.pk).update(pledged=Decimal("50.00"))
    Campaign.objects.filter(pk=game.pk).update(pledged=Decimal("150.00"))
    return {"album": album, "game": game}


def test_the_category_list_is_the_fixed_translated_one():
    top = list(Category.objects.filter(parent__isnull=True).values_list("slug", flat=True))
    assert top == [
        "art", "comics", "crafts", "dance", "design", "fashion", "film-video", "food", "games",
        "journalism", "music", "photography", "publishing", "technology", "theater",
    ]  # fmt: skip
    assert Category.objects.get(slug="albums").parent.slug == "music"
    from django.utils import translation

    with translation.override("de"):
        assert str(Category.objects.get(slug="film-video")) == "Film & Video"
        assert str(Category.objects.get(slug="theater")) == "Theater"
        assert str(Category.objects.get(slug="food")) == "Essen & Trinken"


def test_a_category_filter_includes_its_subcategories(shelf):
    assert _titles(Client().get("/discover/", {"category": "music"})) == ["Theatre Is Evil"]
    assert _titles(Client().get("/discover/", {"category": "albums"})) == ["Theatre Is Evil"]
    assert _titles(Client().get("/discover/", {"category": "games"})) == ["Dice Tower"]
    assert _titles(Client().get("/discover/", {"category": "comics"})) == []  # drafts are never listed


def test_cards_found_by_search_or_a_category_say_so_to_the_pledges_referral(shelf):
    """community counts a pledge under "search" or "category" from the link's ?ref=."""
    slug = shelf["album"].slug
    found = Client().get("/discover/", {"q": "theatre"}).text
    browsed = Client().get("/discover/", {"category": "music"}).text

    assert f'href="/campaigns/{slug}/?ref=search"' in found
    assert f'href="/campaigns/{slug}/?ref=category"' in browsed


def test_funding_ranges_and_sorts(shelf):
    assert _titles(Client().get("/discover/", {"funding": "50-100"})) == ["Theatre Is Evil"]
    assert _titles(Client().get("/discover/", {"funding": "over-100"})) == ["Dice Tower"]
    assert _titles(Client().get("/discover/", {"funding": "under-50"})) == []
    assert _titles(Client().get("/discover/", {"sort": "ending"})) == ["Dice Tower", "Theatre Is Evil"]
    assert _titles(Client().get("/discover/", {"sort": "funded"})) == ["Dice Tower", "Theatre Is Evil"]
    assert _titles(Client().get("/discover/", {"sort": "newest"})) == ["Dice Tower", "Theatre Is Evil"]


def test_trending_counts_the_pledges_of_the_last_48_hours(shelf):
    backer = factories.UserFactory()
    factories.PledgeFactory(campaign=shelf["album"], backer=backer, amount=Decimal("10.00"))
    assert _titles(Client().get("/discover/", {"sort": "trending"})) == ["Theatre Is Evil", "Dice Tower"]


def test_the_location_filter_reads_the_creators_profile(shelf):
    profile_update(user=shelf["game"].creator, location="Berlin, Germany")
    assert _titles(Client().get("/discover/", {"location": "berlin"})) == ["Dice Tower"]


def test_bad_filter_values_filter_nothing_and_never_fail(shelf):
    response = Client().get(
        "/discover/", {"category": "x" * 5000, "state": "draft", "funding": "((", "sort": "\x00", "page": "-1"}
    )
    assert response.status_code == 200
    assert sorted(_titles(response)) == ["Dice Tower", "Theatre Is Evil"]


@pytest.mark.parametrize("name", ["q", "category", "state", "location", "funding", "sort", "page"])
def test_a_nul_in_any_filter_never_fails(shelf, name):
    """PostgreSQL refuses to compare text with NUL: a category holding one answered 500. Searches
    read control characters as spaces; any other filter holding one filters nothing."""
    Profile.objects.filter(user=shelf["album"].creator).update(location="Boston")
    searches = {"q": "theatre", "location": "boston"}  # each finds the album alone

    response = Client().get("/discover/", {name: searches.get(name, "music") + "\x00"})

    assert response.status_code == 200
    if name in searches:
        assert _titles(response) == ["Theatre Is Evil"]
    else:
        assert sorted(_titles(response)) == ["Dice Tower", "Theatre Is Evil"]


def test_the_api_filters_like_the_site(shelf):
    body = Client().get("/api/campaigns/", {"category": "music"}).json()
    assert [row["title"] for row in body["results"]] == ["Theatre Is Evil"]
    assert body["results"][0]["category"] == "albums"
    assert body["results"][0]["category_name"] == "Albums"
    body = Client().get("/api/campaigns/", {"sort": "funded", "funding": "over-100"}).json()
    assert [row["title"] for row in body["results"]] == ["Dice Tower"]


def test_the_api_sets_category_blurb_risks_and_video(shelf):
    from tests.support.api import assert_error, client_as

    campaign = factories.DraftCampaignFactory()
    client = client_as(campaign.creator)
    response = client.patch(
        f"/api/campaigns/{campaign.pk}/",
        {
            "category": "tabletop-games",
            "blurb": "A game of dice.",
            "risks": "Dice may roll away.",
            "video_url": "https://youtu.be/dQw4w9WgXcQ",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["category"] == "tabletop-games"
    assert body["video_embed_url"] == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    assert_error(client.patch(f"/api/campaigns/{campaign.pk}/", {"category": "nope"}, format="json"), 400)
    bad = client.patch(f"/api/campaigns/{campaign.pk}/", {"video_url": "https://evil.example/watch?v=x"}, format="json")
    assert_error(bad, 400, code="invalid_video_url")
    campaign.refresh_from_db()
    assert campaign.video_url == "https://youtu.be/dQw4w9WgXcQ"


# --- the home page --------------------------------------------------------------------------


def test_the_home_page_shows_staff_picks_ending_soon_and_new(shelf, django_capture_on_commit_callbacks):
    page = Client().get("/").content.decode()
    assert "Projects we love" not in page  # nothing picked yet
    with django_capture_on_commit_callbacks(execute=True):  # the pick invalidates the cached page
        campaign_pick(campaign=shelf["album"], picked=True)
    page = Client().get("/").content.decode()
    picked = page.split('id="picked-heading"')[1].split("</section>")[0]
    assert "Theatre Is Evil" in picked and "Dice Tower" not in picked
    ending = page.split('id="ending-heading"')[1].split("</section>")[0]
    assert ending.index("Dice Tower") < ending.index("Theatre Is Evil")


def test_only_staff_with_the_permission_pick_campaigns_in_the_admin(shelf):
    campaign = shelf["album"]
    data = {"action": "pick_campaigns", "_selected_action": [campaign.pk], "post": "yes"}
    without = factories.StaffFactory(username="support", permissions=("campaigns.view_campaign",))
    client = Client()
    client.force_login(without)
    client.post("/admin/campaigns/campaign/", data)
    campaign.refresh_from_db()
    assert campaign.picked_at is None
    picker = factories.StaffFactory(
        username="curator", permissions=("campaigns.view_campaign", "campaigns.pick_campaign")
    )
    client.force_login(picker)
    client.post("/admin/campaigns/campaign/", data)
    campaign.refresh_from_db()
    assert campaign.picked_at is not None


# --- profiles -------------------------------------------------------------------------------


def test_a_profile_lists_the_campaigns_and_the_verified_badge(shelf):
    from tests.support.payouts import onboard

    creator = shelf["album"].creator
    profile_update(
        user=creator, display_name="Amanda Palmer", bio="Songs.", website="https://example.com", location="Boston"
    )
    page = Client().get(f"/u/{creator.username}/").content.decode()
    assert "<h1>Amanda Palmer</h1>" in page
    assert "Theatre Is Evil" in page and "Dice Tower" not in page
    assert "1 campaign created" in page and "backed 0 campaigns" in page
    assert "Verified creator" not in page
    account = onboard(creator)
    PayoutAccount.objects.filter(pk=account.pk).update(
        details_submitted=True, payouts_enabled=True, verified_name="A P"
    )
    assert "Verified creator" in Client().get(f"/u/{creator.username}/").content.decode()


def test_an_unknown_or_deleted_account_has_no_profile(shelf):
    assert Client().get("/u/nobody/").status_code == 404
    assert Client().get("/u/" + "%00" * 10 + "/").status_code == 404


# --- the campaign page ----------------------------------------------------------------------


@pytest.fixture
def shared(shelf):
    campaign = shelf["album"]
    campaign_update(
        campaign=campaign,
        blurb="A record, an art book and a tour.",
        risks="Pressing plants are slow.",
        video_url="https://vimeo.com/76979871",
    )
    campaign_set_faq(campaign=campaign, entries=[("When does it ship?", "In the autumn."), ("", "")])
    return Campaign.objects.get(pk=campaign.pk)


def _meta(page: str, key: str) -> str | None:
    found = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', page)
    return found[1] if found else None


def test_a_shared_link_has_open_graph_and_twitter_card_tags(shared):
    from tests.web.test_studio_media import png

    campaign_update(campaign=shared, image=png(), image_alt="The record's cover")
    campaign = Campaign.objects.get(pk=shared.pk)
    page = Client().get(f"/campaigns/{campaign.slug}/").content.decode()
    assert _meta(page, "og:title") == "Theatre Is Evil"
    assert _meta(page, "og:description") == "A record, an art book and a tour."
    assert _meta(page, "og:image") == settings.SITE_URL.rstrip("/") + campaign.image.url
    assert _meta(page, "og:url") == settings.SITE_URL.rstrip("/") + f"/campaigns/{campaign.slug}/"
    assert _meta(page, "twitter:card") == "summary_large_image"


def test_without_a_short_description_a_shared_link_describes_the_story_in_its_own_words(shared):
    story = 'Tom & Jerry say "hi" <3.\n\n' + "A *long* story. " * 20
    campaign_update(campaign=shared, blurb="", description=story)
    page = Client().get(f"/campaigns/{shared.slug}/").content.decode()

    described = 'Tom & Jerry say "hi" <3. ' + ("A long story. " * 20)[:174] + "…"
    assert len(described) == 200
    assert unescape(_meta(page, "og:description")) == described  # escaped once, as the page's HTML
    assert unescape(_meta(page, "twitter:description")) == described


def test_a_campaign_without_a_picture_is_shared_with_the_sites_own(shared, client):
    page = Client().get(f"/campaigns/{shared.slug}/").content.decode()

    image = _meta(page, "og:image")
    assert image.startswith(settings.SITE_URL.rstrip("/") + "/static/web/share-default") and image.endswith(".png")
    assert _meta(page, "twitter:image") == image and _meta(page, "og:image:alt") == "Pledgeboard"
    served = client.get(image.removeprefix(settings.SITE_URL.rstrip("/")))
    assert served.status_code == 200
    assert Image.open(io.BytesIO(b"".join(served.streaming_content))).size == (1200, 630)


def test_the_campaign_page_shows_video_faq_risks_and_share_links(shared):
    response = Client().get(f"/campaigns/{shared.slug}/")
    page = response.content.decode()
    assert '<iframe src="https://player.vimeo.com/video/76979871?dnt=1"' in page
    assert "When does it ship?" in page and "In the autumn." in page
    assert "Pressing plants are slow." in page
    mailto = r'<a href="mailto:\?subject=Theatre\+Is\+Evil&amp;body=http[^"]+" rel="noopener" id="share-e-mail">'
    assert re.search(mailto, page)
    assert '<script src="https://' not in page  # no third-party script for sharing
    csp = response["Content-Security-Policy"]
    frame_src = next(part for part in csp.split(";") if part.strip().startswith("frame-src")).split()[1:]
    assert "https://player.vimeo.com" in frame_src and "https://www.youtube-nocookie.com" in frame_src
    assert "https://www.youtube.com" not in frame_src and "https://vimeo.com" not in frame_src


def test_backers_per_tier_and_sold_out():
    campaign = factories.LiveCampaignFactory(
        rewards=[
            {"title": "Vinyl", "minimum": Decimal("25.00"), "limit": 1},
            {"title": "Thanks", "minimum": Decimal("1.00")},
        ]
    )
    vinyl = campaign.rewards.get(title="Vinyl")
    factories.PledgeFactory(campaign=campaign, backer=factories.UserFactory(), reward=vinyl, amount=Decimal("25.00"))
    page = Client().get(f"/campaigns/{campaign.slug}/").content.decode()
    card = page.split(f'id="reward-{vinyl.pk}"')[1][:1500]
    assert re.search(r"1 backer\s*·\s*<strong class=\"stock\">Sold out</strong>", card)
    thanks = page.split(f'id="reward-{campaign.rewards.get(title="Thanks").pk}"')[1]
    assert "0 backers" in thanks


def test_updates_tab_shows_backers_only_updates_to_backers(shelf):
    campaign = shelf["album"]
    update_publish(campaign=campaign, author=campaign.creator, title="Hello world", body="Public news.")
    update_publish(
        campaign=campaign,
        author=campaign.creator,
        title="Backstage",
        body="For backers.",
        audience=CampaignUpdate.Audience.BACKERS,
    )
    anonymous = Client().get(f"/campaigns/{campaign.slug}/").content.decode()
    assert "Hello world" in anonymous and "Backstage" not in anonymous
    backer = factories.UserFactory()
    factories.PledgeFactory(campaign=campaign, backer=backer, amount=Decimal("5.00"))
    client = Client()
    client.force_login(backer)
    page = client.get(f"/campaigns/{campaign.slug}/").content.decode()
    assert "Hello world" in page and "Backstage" in page


def test_the_atom_feed_has_the_public_updates_only(shelf):
    campaign = shelf["album"]
    update_publish(campaign=campaign, author=campaign.creator, title="Hello world", body="Public **news**.")
    update_publish(
        campaign=campaign,
        author=campaign.creator,
        title="Backstage",
        body="x",
        audience=CampaignUpdate.Audience.BACKERS,
    )
    response = Client().get(f"/campaigns/{campaign.slug}/updates.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)  # noqa: S314 - our own feed
    ns = {"atom": "http://www.w3.org/2005/Atom"}
    assert [entry.findtext("atom:title", namespaces=ns) for entry in feed.findall("atom:entry", ns)] == ["Hello world"]
    draft = factories.DraftCampaignFactory()
    assert Client().get(f"/campaigns/{draft.slug}/updates.atom").status_code == 404


def test_the_projection_is_drawn_only_while_live_and_never_below_the_total(shelf):
    from web.charts import funding_series

    campaign = shelf["game"]
    factories.PledgeFactory(campaign=campaign, backer=factories.UserFactory(), amount=Decimal("20.00"))
    campaign.refresh_from_db()
    data, _stats = funding_series(campaign)
    assert data is not None and data["projected"] is not None
    assert Decimal(data["projected"]) >= Decimal(data["cumulative"][-1])
    Campaign.objects.filter(pk=campaign.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    campaign.refresh_from_db()
    data, _stats = funding_series(campaign)
    assert data is not None and data["projected"] is None and data["deadline"] is None


# --- the studio's FAQ -----------------------------------------------------------------------


def test_the_creator_edits_the_faq_in_the_studio(shelf):
    campaign = shelf["album"]
    client = Client()
    client.force_login(campaign.creator)
    form = {
        "faq-TOTAL_FORMS": "3",
        "faq-INITIAL_FORMS": "0",
        "faq-0-question": "Vinyl?",
        "faq-0-answer": "Yes, 180 g.",
        "faq-1-question": "",
        "faq-1-answer": "",
        "faq-2-question": "Only a question",
        "faq-2-answer": "",
    }
    refused = client.post(f"/studio/{campaign.slug}/faq/", form)
    assert refused.status_code == 400
    assert campaign.faq.count() == 0
    form["faq-2-question"] = ""
    saved = client.post(f"/studio/{campaign.slug}/faq/", form)
    assert saved.status_code == 302
    assert list(campaign.faq.values_list("question", "answer")) == [("Vinyl?", "Yes, 180 g.")]
    other = Client()
    other.force_login(factories.UserFactory())
    assert other.post(f"/studio/{campaign.slug}/faq/", form).status_code == 404


def test_signed_out_visitors_get_the_discover_page_from_the_hot_cache(shelf, django_assert_num_queries):
    first = Client().get("/discover/")
    assert first.status_code == 200
    with django_assert_num_queries(0):
        again = Client().get("/discover/")
    assert again.content == first.content
    searched = Client().get("/discover/", {"q": "Dice"})  # a query string: built for the visitor
    assert _titles(searched) == ["Dice Tower"]
