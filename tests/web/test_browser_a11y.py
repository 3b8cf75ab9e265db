"""Every kind of page, in Debian's Chromium: axe-core finds nothing serious or critical, there is
one h1 and no heading level is skipped, base.html's landmarks are there, and the skip link works
from the keyboard (Tab once, Enter: focus is on main).

The data is made through the services (a live campaign with tiers and a backers-only update, a
backer's pledge with a card saved at localstripe, a draft), then three people look at the pages:
a stranger, the backer and the creator, each in a browser context of their own.
"""

from decimal import Decimal

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests import factories
from tests.web.conftest import PASSWORD, assert_skip_link_works, assert_structure, check_page
from updates.services import update_publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Headings of every level in a creator's Markdown: the page moves them below its own.
STORY = "# Why\n\nMaps of **every** valley.\n\n## How\n\nBy hand.\n\n### Paper\n\nCotton."
UPDATE = "# Proofs\n\nThe first proofs look *great*.\n\n## Next\n\nPrinting."


def _log_in(page, base: str, username: str):
    page.goto(base + "/login/")
    page.get_by_label("Username or e-mail").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name=f"Log out {username}").wait_for()
    return page


def _check(page, url: str, name: str) -> None:
    page.goto(url)
    # First, on the page as loaded: the skip link is the first stop of the keyboard (checked after
    # axe it needed the page loaded a second time, 24 loads in this test).
    assert_skip_link_works(page, reload=False)
    check_page(page, f"a11y-{name}")  # axe-core: no serious or critical violation; lang; no script error
    assert_structure(page)


@pytest.fixture
def site(live_server):
    maya = factories.UserFactory(username="maya", email="maya@example.com", password=PASSWORD)
    river = factories.UserFactory(username="river", email="river@example.com", password=PASSWORD)
    atlas = factories.LiveCampaignFactory(
        creator=maya,
        title="Pocket Atlas",
        goal=Decimal("100.00"),
        description=STORY,
        rewards=[
            {"title": "Postcard", "minimum": Decimal("10.00")},
            {"title": "Framed map", "minimum": Decimal("80.00"), "shipping": Decimal("5.00"), "limit": 5},
        ],
    )
    framed = atlas.rewards.get(title="Framed map")
    pledge = factories.PledgeFactory(
        campaign=atlas, backer=river, amount=Decimal("1192.00"), reward=framed, shipping_country="DE"
    )
    update_publish(campaign=atlas, author=maya, title="Proofs are in", body=UPDATE, audience="backers")
    notebook = factories.LiveCampaignFactory(
        creator=maya,
        title="Field Notebook",
        goal=Decimal("40.00"),
        rewards=[{"title": "Sketchbook", "minimum": Decimal("25.00"), "limit": 1}],
    )
    draft = factories.DraftCampaignFactory(creator=maya, title="Night Sky Zine", description=STORY)
    return {"atlas": atlas, "framed": framed, "pledge": pledge, "notebook": notebook, "draft": draft, "river": river}


def test_every_page_kind_is_accessible(new_person, live_server, site):
    base = live_server.url
    atlas, notebook, draft = site["atlas"], site["notebook"], site["draft"]

    stranger = new_person()
    _check(stranger, base + "/", "campaign-list")
    _check(stranger, f"{base}/campaigns/{atlas.slug}/", "campaign-stranger")
    _check(stranger, base + "/register/", "register")
    _check(stranger, base + "/login/", "login")
    _check(stranger, base + "/password-reset/", "password-reset")
    river = site["river"]
    uid, token = urlsafe_base64_encode(force_bytes(river.pk)), default_token_generator.make_token(river)
    _check(stranger, f"{base}/password-reset/{uid}/{token}/", "password-reset-confirm")
    assert stranger.get_by_role("button", name="Save the new password").count() == 1  # the form, not "link expired"
    _check(stranger, base + "/verify/not-a-token/", "verify-failed")
    _check(stranger, base + "/campaigns/no-such-campaign/", "not-found")

    backer = _log_in(new_person(), base, "river")
    _check(backer, f"{base}/campaigns/{atlas.slug}/", "campaign")
    _check(backer, f"{base}/campaigns/{atlas.slug}/updates/1/", "update-with-comments")
    _check(backer, f"{base}/campaigns/{notebook.slug}/pledge/", "checkout")
    _check(backer, base + "/me/pledges/", "my-pledges")
    _check(backer, f"{base}/me/pledges/{site['pledge'].pk}/", "pledge-detail")
    _check(backer, base + "/me/settings/", "settings")
    _check(backer, f"{base}/me/pledges/{site['pledge'].pk}/cancel/", "pledge-cancel")

    creator = _log_in(new_person(), base, "maya")
    _check(creator, base + "/studio/", "studio-home")
    _check(creator, f"{base}/studio/new/", "studio-new")
    _check(creator, f"{base}/studio/{draft.slug}/", "studio-draft-dashboard")
    _check(creator, f"{base}/studio/{draft.slug}/edit/", "studio-draft-edit")
    _check(creator, f"{base}/studio/{atlas.slug}/rewards/{site['framed'].pk}/", "studio-tier-edit")
    _check(creator, f"{base}/studio/{atlas.slug}/rewards/new/", "studio-tier-new")
    _check(creator, f"{base}/studio/{atlas.slug}/", "studio-dashboard")
    _check(creator, f"{base}/studio/{atlas.slug}/updates/1/", "studio-update-edit")
    _check(creator, f"{base}/studio/{atlas.slug}/cancel/", "studio-cancel")


def test_the_funding_bar_is_a_labelled_progressbar_past_100_percent(new_person, live_server, site):
    """1,192 of a 100 goal: the bar is full (its value stops at its maximum), its label tells the truth."""
    page = new_person()
    page.goto(f"{live_server.url}/campaigns/{site['atlas'].slug}/")
    bar = page.get_by_role("progressbar", name="1,192% funded")
    assert [bar.get_attribute(a) for a in ("aria-valuemin", "aria-valuemax", "aria-valuenow")] == ["0", "100", "100"]
    assert bar.get_attribute("aria-valuetext") == "1,192% funded"

    page.goto(live_server.url + "/")
    card = page.get_by_role("link", name="Pocket Atlas").first  # also in the home page's sections
    assert card.get_by_role("progressbar", name="1,192% funded").get_attribute("aria-valuenow") == "100"
    notebook = page.get_by_role("link", name="Field Notebook").first
    assert notebook.get_by_role("progressbar", name="0% funded").get_attribute("aria-valuenow") == "0"


def test_creators_markdown_headings_sit_below_the_pages_own(new_person, live_server, site):
    page = _log_in(new_person(), live_server.url, "river")
    page.goto(f"{live_server.url}/campaigns/{site['atlas'].slug}/")
    story = page.locator(".story")
    assert [story.locator(tag).inner_text() for tag in ("h3", "h4", "h5")] == ["Why", "How", "Paper"]
    assert story.locator("h1, h2").count() == 0
    update = page.locator("article", has_text="Proofs are in")
    assert [update.locator(tag).inner_text() for tag in ("h3", "h4", "h5")] == ["Proofs are in", "Proofs", "Next"]
