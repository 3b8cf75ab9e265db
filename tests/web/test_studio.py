"""The creator studio through Django's test client: only the creator reaches a campaign's
pages (404 for anyone else), a draft is created, given tiers and launched with the services'
rules shown as form errors, the dashboard shows totals, tier sales and backers, and updates
reach the audience they were posted to."""

import re
from datetime import UTC, timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.models import Campaign
from pledges.models import Pledge
from tests import factories
from updates.models import CampaignUpdate

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def maya():
    return factories.UserFactory(username="maya", email="maya@example.com", password=PASSWORD)


@pytest.fixture
def draft(maya):
    campaign = factories.DraftCampaignFactory(creator=maya, title="Field Notebook", goal=Decimal("100.00"))
    factories.RewardTierFactory(campaign=campaign, title="Sketchbook", minimum=Decimal("25.00"), limit=2)
    return campaign


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _local(moment) -> str:
    """A moment as a datetime-local input sends it (UTC: the studio's zone until the creator picks one)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _campaign_data(**overrides) -> dict:
    data = {
        "title": "Pocket Atlas",
        "description": "Maps of **every** valley.",
        "goal": "500.00",
        "currency": "EUR",
        "deadline": _local(timezone.now() + timedelta(days=30)),
        "funding_model": "all_or_nothing",
    }
    return {**data, **overrides}


def _errors(page) -> list[str]:
    return [unescape(e) for e in re.findall(r'<ul class="errorlist[^"]*"[^>]*>\s*<li>(.*?)</li>', page.text, re.S)]


# --- who reaches what -----------------------------------------------------------------------

STUDIO_PAGES = [
    ("get", "/studio/{slug}/"),
    ("get", "/studio/{slug}/edit/"),
    ("post", "/studio/{slug}/edit/"),
    ("post", "/studio/{slug}/launch/"),
    ("get", "/studio/{slug}/cancel/"),
    ("post", "/studio/{slug}/cancel/"),
    ("get", "/studio/{slug}/rewards/new/"),
    ("post", "/studio/{slug}/rewards/new/"),
    ("get", "/studio/{slug}/rewards/{reward}/"),
    ("post", "/studio/{slug}/rewards/{reward}/"),
    ("get", "/studio/{slug}/rewards/{reward}/delete/"),
    ("post", "/studio/{slug}/rewards/{reward}/delete/"),
    ("post", "/studio/{slug}/updates/"),
    ("get", "/studio/{slug}/backers.xlsx"),
    ("get", "/studio/{slug}/collection/"),
]


@pytest.mark.parametrize(("method", "path"), STUDIO_PAGES)
def test_someone_elses_campaign_is_a_404_in_the_studio_and_stays_unchanged(draft, method, path):
    reward = draft.rewards.get()
    stranger = factories.UserFactory(username="stranger", is_staff=True)  # staff too: the studio is the creator's
    data = {**_campaign_data(title="Hijacked"), "minimum": "1.00", "body": "x", "audience": "public"}

    response = getattr(logged_in(stranger), method)(path.format(slug=draft.slug, reward=reward.pk), data)

    assert response.status_code == 404
    draft.refresh_from_db()
    assert (draft.title, draft.state, draft.goal) == ("Field Notebook", Campaign.State.DRAFT, Decimal("100.00"))
    assert list(draft.rewards.values_list("title", "minimum")) == [("Sketchbook", Decimal("25.00"))]


@pytest.mark.parametrize(("method", "path"), [*STUDIO_PAGES, ("get", "/studio/"), ("get", "/studio/new/")])
def test_the_studio_asks_to_log_in_and_come_back(draft, method, path):
    page = path.format(slug=draft.slug, reward=draft.rewards.get().pk)

    response = getattr(Client(), method)(page)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={page}"


def test_the_studio_lists_only_my_campaigns(draft, maya):
    other = factories.DraftCampaignFactory(title="Someone else's record")

    page = logged_in(maya).get("/studio/")

    assert page.status_code == 200
    assert re.findall(r'<tr id="campaign-(\d+)">', page.text) == [str(draft.pk)]
    assert other.title not in page.text
    assert f'href="/studio/{draft.slug}/"' in page.text


# --- a draft, its tiers, the launch ---------------------------------------------------------


def test_a_creator_logs_in_builds_a_draft_with_tiers_and_launches_it(maya, settings):
    """Session and CSRF as a browser does them; the launch is refused for a deadline too soon, then succeeds."""
    client = Client(enforce_csrf_checks=True)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get("/login/").text).group(1)
    client.post("/login/", {"username": "maya", "password": PASSWORD, "csrfmiddlewaretoken": token})
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get("/studio/new/").text).group(1)

    assert client.post("/studio/new/", _campaign_data()).status_code == 403  # no token, no draft
    assert not Campaign.objects.exists()
    too_soon = timezone.now() + timedelta(hours=2)  # a deadline beyond the longest campaign is refused when typed
    created = client.post("/studio/new/", {**_campaign_data(deadline=_local(too_soon)), "csrfmiddlewaretoken": token})

    campaign = Campaign.objects.get()
    assert created.status_code == 302
    assert created["Location"] == f"/studio/{campaign.slug}/"
    assert (campaign.creator, campaign.title, campaign.goal, campaign.currency, campaign.state) == (
        maya,
        "Pocket Atlas",
        Decimal("500.00"),
        "EUR",
        Campaign.State.DRAFT,
    )
    assert campaign.deadline == too_soon.replace(second=0, microsecond=0)

    for title, minimum, limit in (("Postcard", "10.00", ""), ("Framed print", "80.00", "50")):
        added = client.post(
            f"/studio/{campaign.slug}/rewards/new/",
            {
                "title": title,
                "minimum": minimum,
                "limit": limit,
                "ships": "on",
                "shipping-TOTAL_FORMS": "2",
                "shipping-INITIAL_FORMS": "0",
                "shipping-0-destination": "region:eu",
                "shipping-0-price": "4.50",
                "shipping-1-destination": "country:CH",
                "shipping-1-price": "9.00",
                "csrfmiddlewaretoken": token,
            },
        )
        assert added.status_code == 302
    assert list(campaign.rewards.values_list("title", "minimum", "limit", "ships")) == [
        ("Postcard", Decimal("10.00"), None, True),
        ("Framed print", Decimal("80.00"), 50, True),
    ]
    for tier in campaign.rewards.all():
        rules = sorted((str(r.country), r.region, r.price) for r in tier.shipping_rules.all())
        assert rules == [("", "eu", Decimal("4.50")), ("CH", "", Decimal("9.00"))]

    refused = client.post(f"/studio/{campaign.slug}/launch/", {"csrfmiddlewaretoken": token})

    assert refused.status_code == 400
    assert _errors(refused) == ["The deadline must be between 1 day and 60 days after launch."]
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT

    in_thirty_days = timezone.now() + timedelta(days=30)
    edited = client.post(
        f"/studio/{campaign.slug}/edit/",
        {**_campaign_data(deadline=_local(in_thirty_days)), "csrfmiddlewaretoken": token},
    )
    assert edited.status_code == 302
    launched = client.post(f"/studio/{campaign.slug}/launch/", {"csrfmiddlewaretoken": token})

    assert launched.status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.LIVE
    assert campaign.deadline == in_thirty_days.replace(second=0, microsecond=0)
    dashboard = client.get(f"/studio/{campaign.slug}/")
    assert "Your campaign is live." in dashboard.text
    assert 'id="launch-form"' not in dashboard.text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"currency": "JPY", "goal": "1000.50"}, "goal", "goal has more decimal places than JPY allows (0)."),
        ({"deadline": "2020-01-01T12:00"}, "deadline", "The deadline must be in the future."),
        ({"goal": "2000000000"}, "goal", "goal is too large: at most 1000000000.00 EUR."),
    ],
)
def test_the_services_rules_come_back_as_errors_on_their_fields(maya, overrides, field, message):
    page = logged_in(maya).post("/studio/new/", _campaign_data(**overrides))

    assert page.status_code == 400
    form_field = re.search(rf'<label for="id_{field}">.*?<ul class="errorlist"[^>]*>\s*<li>(.*?)</li>', page.text, re.S)
    assert form_field and form_field.group(1) == message
    assert not Campaign.objects.exists()


def test_a_draft_is_edited_and_its_story_previewed_as_markdown(draft, maya):
    client = logged_in(maya)
    data = _campaign_data(title="Field Notebook II", description="**Bold** plan <script>alert(1)</script>")

    refused = client.post(f"/studio/{draft.slug}/edit/", data)  # EUR, but the draft has a USD tier
    response = client.post(f"/studio/{draft.slug}/edit/", {**data, "currency": "USD"})

    assert refused.status_code == 400
    assert _errors(refused) == ["Remove the rewards before changing the currency."]
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.title, draft.goal, draft.currency) == ("Field Notebook II", Decimal("500.00"), "USD")
    preview = client.get(f"/studio/{draft.slug}/edit/")
    story = re.search(r'<div class="card story" id="story-preview">(.*?)</div>', preview.text, re.S).group(1)
    assert "<strong>Bold</strong> plan" in story
    assert "<script>" not in story


def test_a_live_campaigns_title_changes_but_its_goal_does_not(maya):
    campaign = factories.LiveCampaignFactory(creator=maya, title="Field Notebook", goal=Decimal("100.00"))
    client = logged_in(maya)

    form = client.get(f"/studio/{campaign.slug}/edit/")
    assert 'name="goal"' not in form.text and 'name="deadline"' not in form.text
    client.post(f"/studio/{campaign.slug}/edit/", {"title": "Field Notebook (2nd ed.)", "goal": "5.00"})

    campaign.refresh_from_db()
    assert (campaign.title, campaign.goal) == ("Field Notebook (2nd ed.)", Decimal("100.00"))


def test_tiers_are_edited_and_deleted_but_not_one_that_backers_hold(maya):
    campaign = factories.LiveCampaignFactory(
        creator=maya,
        goal=Decimal("100.00"),
        rewards=[
            {"title": "Sketchbook", "minimum": Decimal("25.00"), "limit": 2},
            {"title": "Sticker", "minimum": Decimal("5.00")},
        ],
    )
    sketchbook, sticker = campaign.rewards.order_by("-minimum")
    factories.PledgeFactory(backer=factories.UserFactory(), campaign=campaign, amount="25.00", reward=sketchbook)
    client = logged_in(maya)

    lowered = client.post(
        f"/studio/{campaign.slug}/rewards/{sketchbook.pk}/", {"title": "Sketchbook", "minimum": "25.00", "limit": "1"}
    )
    assert lowered.status_code == 400
    assert _errors(lowered) == ["A reward's limit can only be raised once live."]
    raised = client.post(
        f"/studio/{campaign.slug}/rewards/{sketchbook.pk}/", {"title": "Sketchbook", "minimum": "25.00", "limit": "5"}
    )
    assert raised.status_code == 302
    held = client.post(f"/studio/{campaign.slug}/rewards/{sketchbook.pk}/delete/", follow=True)
    assert "Backers hold this reward; it cannot be deleted." in held.text
    client.post(f"/studio/{campaign.slug}/rewards/{sticker.pk}/delete/")

    assert list(campaign.rewards.values_list("title", "limit")) == [("Sketchbook", 5)]


def test_a_creator_cancels_a_live_campaign_and_its_pledges_are_released(maya):
    campaign = factories.LiveCampaignFactory(creator=maya, goal=Decimal("100.00"))
    pledge = factories.PledgeFactory(backer=factories.UserFactory(), campaign=campaign, amount="30.00")
    client = logged_in(maya)

    confirm = client.get(f"/studio/{campaign.slug}/cancel/")
    assert confirm.status_code == 200 and "no card is charged" in confirm.text
    client.post(f"/studio/{campaign.slug}/cancel/")
    again = client.post(f"/studio/{campaign.slug}/cancel/")

    campaign.refresh_from_db()
    pledge.refresh_from_db()
    assert (campaign.state, pledge.state) == (Campaign.State.CANCELED, Pledge.State.RELEASED)
    assert again.status_code == 400 and "A canceled campaign cannot be canceled." in again.text


# --- the dashboard --------------------------------------------------------------------------


@pytest.fixture
def funded(maya):
    """A live campaign with three pledges: two for the Sketchbook (limit 2), one without a reward."""
    campaign = factories.LiveCampaignFactory(
        creator=maya,
        title="Field Notebook",
        goal=Decimal("100.00"),
        rewards=[
            {"title": "Sketchbook", "minimum": Decimal("25.00"), "limit": 2},
            {"title": "Sticker", "minimum": Decimal("5.00")},
        ],
    )
    sketchbook = campaign.rewards.get(title="Sketchbook")
    river = factories.UserFactory(username="river", email="river@example.com")
    factories.PledgeFactory(backer=river, campaign=campaign, amount="40.00", reward=sketchbook)
    factories.PledgeFactory(
        backer=factories.UserFactory(username="sam", email="sam@example.com"),
        campaign=campaign,
        amount="25.00",
        reward=sketchbook,
    )
    factories.PledgeFactory(
        backer=factories.UserFactory(username="kim", email="kim@example.com"), campaign=campaign, amount="12.50"
    )
    campaign.refresh_from_db()
    return campaign


def _rows(page) -> list[str]:
    return re.findall(r'<tr id="pledge-\d+">\s*<td>(\w+)</td>', page.text)


def test_the_dashboard_shows_totals_tier_sales_and_backers(funded, maya):
    sketchbook = funded.rewards.get(title="Sketchbook")
    page = logged_in(maya).get(f"/studio/{funded.slug}/")

    assert page.status_code == 200
    # 40 + 25 + 12.50 = 77.50 of 100.00: 77%
    assert re.search(r'id="pledged"[^>]*>\$77\.50<', page.text)
    assert re.search(r'id="percent"[^>]*>77%<', page.text)
    assert re.search(r'id="backers"[^>]*>3<', page.text)
    tier_row = re.search(rf'<tr id="tier-{sketchbook.pk}">(.*?)</tr>', page.text, re.S).group(1)
    assert '<td class="sales">2 / 2</td>' in tier_row
    assert _rows(page) == ["river", "sam", "kim"]
    assert f'href="/api/campaigns/{funded.pk}/backers.csv"' in page.text


def test_the_backers_table_filters_by_tier_and_state_and_pages(funded, maya, monkeypatch):
    from web import views_studio

    client = logged_in(maya)
    sketchbook = funded.rewards.get(title="Sketchbook")
    Pledge.objects.filter(backer__username="sam").update(state=Pledge.State.ERRORED)

    assert _rows(client.get(f"/studio/{funded.slug}/?reward={sketchbook.pk}")) == ["river", "sam"]
    assert _rows(client.get(f"/studio/{funded.slug}/?reward=none")) == ["kim"]
    assert _rows(client.get(f"/studio/{funded.slug}/?reward={sketchbook.pk}&state=errored")) == ["sam"]
    unknown = client.get(f"/studio/{funded.slug}/?state=lost")
    assert _rows(unknown) == ["river", "sam", "kim"] and "Unknown pledge state" in unknown.text

    monkeypatch.setattr(views_studio, "BACKERS_PAGE_SIZE", 2)
    first = client.get(f"/studio/{funded.slug}/")
    second = client.get(f"/studio/{funded.slug}/?page=2")
    assert (_rows(first), _rows(second)) == (["river", "sam"], ["kim"])
    assert "Page 1 of 2" in first.text


def test_the_backer_csv_link_works_with_the_creators_session(funded, maya):
    csv = logged_in(maya).get(f"/api/campaigns/{funded.pk}/backers.csv")

    assert csv.status_code == 200
    body = b"".join(csv.streaming_content).decode()
    assert [e for e in ("river@example.com", "sam@example.com", "kim@example.com") if e in body] == [
        "river@example.com",
        "sam@example.com",
        "kim@example.com",
    ]


def test_a_backers_only_update_is_seen_by_backers_not_by_strangers(funded, maya):
    posted = logged_in(maya).post(
        f"/studio/{funded.slug}/updates/",
        {"title": "Printing has begun", "body": "The *first* proofs are in.", "audience": "backers"},
    )

    assert posted.status_code == 302
    update = CampaignUpdate.objects.get()
    assert (update.campaign, update.audience, update.title) == (funded, "backers", "Printing has begun")
    river = Pledge.objects.get(backer__username="river").backer
    seen_by_backer = logged_in(river).get(f"/campaigns/{funded.slug}/")
    assert "Printing has begun" in seen_by_backer.text
    assert "The <em>first</em> proofs are in." in seen_by_backer.text
    stranger = factories.UserFactory(username="stranger")
    assert "Printing has begun" not in logged_in(stranger).get(f"/campaigns/{funded.slug}/").text
    assert "Printing has begun" not in Client().get(f"/campaigns/{funded.slug}/").text


def test_a_tiers_update_without_a_tier_is_a_form_error(funded, maya):
    page = logged_in(maya).post(
        f"/studio/{funded.slug}/updates/", {"title": "For sketchbook backers", "body": "Hi", "audience": "tiers"}
    )

    assert page.status_code == 400
    assert _errors(page) == ["Choose at least one tier for this update."]
    assert not CampaignUpdate.objects.exists()


def test_a_draft_takes_no_updates(draft, maya):
    page = logged_in(maya).post(f"/studio/{draft.slug}/updates/", {"title": "Hi", "body": "Hi", "audience": "public"})

    assert page.status_code == 400
    assert _errors(page) == ["A draft campaign cannot post updates."]


def test_the_campaign_page_renders_the_story_as_markdown(maya):
    campaign = factories.LiveCampaignFactory(
        creator=maya, description="# Why\n\nA *notebook* <img src=x onerror=alert(1)>"
    )

    page = Client().get(f"/campaigns/{campaign.slug}/")

    story = re.search(r'<div class="story">(.*?)</div>', page.text, re.S).group(1)
    assert "<h3>Why</h3>" in story  # under the page's h2 "Story": the page keeps one h1
    assert len(re.findall(r"<h1[ >]", page.text)) == 1  # the campaign's title only
    assert "<em>notebook</em>" in story
    assert "onerror" not in story


def test_a_tiers_update_reaches_that_tiers_backers_only(funded, maya):
    sketchbook = funded.rewards.get(title="Sketchbook")

    posted = logged_in(maya).post(
        f"/studio/{funded.slug}/updates/",
        {
            "title": "Sketchbooks shipped",
            "body": "Look out for the postman.",
            "audience": "tiers",
            "tiers": [sketchbook.pk],
        },
    )

    assert posted.status_code == 302
    assert list(CampaignUpdate.objects.get().tiers.all()) == [sketchbook]
    river, kim = (Pledge.objects.get(backer__username=name).backer for name in ("river", "kim"))
    assert "Sketchbooks shipped" in logged_in(river).get(f"/campaigns/{funded.slug}/").text
    assert "Sketchbooks shipped" not in logged_in(kim).get(f"/campaigns/{funded.slug}/").text


def test_the_creator_previews_the_draft_page_which_others_cannot_see(draft, maya):
    dashboard = logged_in(maya).get(f"/studio/{draft.slug}/")
    link = re.search(r'<a href="([^"]+)" id="campaign-page-link">Preview the campaign page</a>', dashboard.text)

    assert link and link.group(1) == f"/campaigns/{draft.slug}/"
    assert logged_in(maya).get(link.group(1)).status_code == 200
    assert logged_in(factories.UserFactory(username="stranger")).get(link.group(1)).status_code == 404
    assert Client().get(link.group(1)).status_code == 404


def test_an_update_is_edited_within_its_window_shown_on_the_dashboard(funded, maya):
    client = logged_in(maya)
    client.post(f"/studio/{funded.slug}/updates/", {"title": "Proofs", "body": "Tpyo", "audience": "public"})
    update = CampaignUpdate.objects.get()
    until = (update.published_at + timedelta(minutes=30)).astimezone(UTC).strftime("%H:%M")

    dashboard = client.get(f"/studio/{funded.slug}/")
    assert f'href="/studio/{funded.slug}/updates/1/"' in dashboard.text
    assert f"editable until {until} UTC" in dashboard.text
    edited = client.post(f"/studio/{funded.slug}/updates/1/", {"title": "Proofs are in", "body": "Typo fixed"})

    assert edited.status_code == 302
    update.refresh_from_db()
    assert (update.title, update.body) == ("Proofs are in", "Typo fixed")
    assert "Proofs are in" in Client().get(f"/campaigns/{funded.slug}/").text


def test_an_update_past_its_window_is_frozen(funded, maya):
    from updates.services import update_publish

    update_publish(
        campaign=funded, author=maya, title="Old news", body="As sent", now=timezone.now() - timedelta(minutes=31)
    )
    client = logged_in(maya)

    assert f"/studio/{funded.slug}/updates/1/" not in client.get(f"/studio/{funded.slug}/").text
    refused = client.post(f"/studio/{funded.slug}/updates/1/", {"title": "Rewritten", "body": "Changed"})

    assert refused.status_code == 400
    assert _errors(refused) == ["An update can only be edited in the 30 minutes after publishing."]
    assert CampaignUpdate.objects.get().body == "As sent"


@pytest.mark.parametrize("method", ["get", "post"])
def test_someone_elses_update_is_a_404(funded, maya, method):
    client = logged_in(maya)
    client.post(f"/studio/{funded.slug}/updates/", {"title": "Mine", "body": "Mine", "audience": "public"})
    stranger = logged_in(factories.UserFactory(username="stranger", is_staff=True))

    response = getattr(stranger, method)(f"/studio/{funded.slug}/updates/1/", {"title": "Theirs", "body": "Theirs"})

    assert response.status_code == 404
    assert CampaignUpdate.objects.get().title == "Mine"
    assert client.get(f"/studio/{funded.slug}/updates/2/").status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_canceled_campaign_is_not_edited_and_its_dashboard_says_so(draft, maya, method):
    from closing.services import campaign_cancel

    campaign_cancel(campaign=draft)
    client = logged_in(maya)

    response = getattr(client, method)(f"/studio/{draft.slug}/edit/", {"title": "Revived", "goal": "5.00"}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(f"/studio/{draft.slug}/", 302)]
    assert "A closed campaign cannot be edited." in response.text
    assert 'id="launch-form"' not in response.text and 'id="update-form"' not in response.text
    draft.refresh_from_db()
    assert (draft.title, draft.state) == ("Field Notebook", Campaign.State.CANCELED)
