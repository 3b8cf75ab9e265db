"""The studio's campaign picture and story preview: an upload is checked and re-encoded by
Pillow and stored under a random name, a file that only claims to be a picture (or is too
big) is refused, only the creator changes it; the story preview renders what was typed
through the page's Markdown cleaner and saves nothing."""

import io
import re
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from campaigns.models import Campaign
from tests import factories
from tests.conftest import StoredFiles

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def media_root(stored_media) -> StoredFiles:
    return stored_media


@pytest.fixture
def maya():
    return factories.UserFactory(username="maya", email="maya@example.com", password=PASSWORD)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def png(width: int = 64, height: int = 48, color=(200, 30, 60), name: str = "cover.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def stored_files(root: StoredFiles) -> list[str]:
    return root.names()


def _campaign_data(**overrides) -> dict:
    deadline = (timezone.now() + timedelta(days=30)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
    data = {
        "title": "Pocket Atlas",
        "description": "Maps of **every** valley.",
        "goal": "500.00",
        "currency": "EUR",
        "deadline": deadline,
        "funding_model": "all_or_nothing",
        "image_alt": "A folded map on a desk",
    }
    return {**data, **overrides}


def _field_error(page, field: str) -> str | None:
    found = re.search(rf'<label for="id_{field}">.*?<ul class="errorlist"[^>]*>\s*<li>(.*?)</li>', page.text, re.S)
    return found.group(1) if found else None


def test_a_creator_logged_in_with_session_and_csrf_uploads_a_picture_shown_everywhere(maya, media_root):
    client = Client(enforce_csrf_checks=True)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get("/login/").text).group(1)
    client.post("/login/", {"username": "maya", "password": PASSWORD, "csrfmiddlewaretoken": token})
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get("/studio/new/").text).group(1)

    created = client.post("/studio/new/", {**_campaign_data(), "image": png(), "csrfmiddlewaretoken": token})

    assert created.status_code == 302
    campaign = Campaign.objects.get()
    [stored] = stored_files(media_root)
    assert stored == campaign.image.name
    # Not the uploaded name: a random one (at least 128 bits), and not the uploaded bytes: a fresh JPEG.
    assert re.fullmatch(r"campaigns/[A-Za-z0-9_-]{24}\.jpg", campaign.image.name)
    with Image.open(io.BytesIO(media_root.read(stored))) as picture:
        assert (picture.format, picture.size) == ("JPEG", (64, 48))
        red, green, blue = picture.getpixel((10, 10))
        assert abs(red - 200) < 8 and abs(green - 30) < 8 and abs(blue - 60) < 8
    assert campaign.image_alt == "A folded map on a desk"

    url = f"/media/{campaign.image.name}"
    tag = f'src="{url}" alt="A folded map on a desk"'
    assert tag in client.get(f"/campaigns/{campaign.slug}/").text  # the draft's preview page
    assert tag in client.get(f"/studio/{campaign.slug}/").text
    assert url in client.get("/studio/").text
    served = client.get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content) == media_root.read(stored)
    assert served["Cache-Control"] == "public, max-age=31536000, immutable"  # a name is never reused

    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.LIVE, launched_at=timezone.now())
    assert url in Client().get("/").text  # the list shows it once the campaign is public
    api = Client().get(f"/api/campaigns/{campaign.pk}/").json()
    assert api["image"] == url  # a path on this site (the detail is cached for every host)
    assert api["image_alt"] == "A folded map on a desk"
    listed = {item["id"]: item for item in Client().get("/api/campaigns/").json()["results"]}
    assert listed[campaign.pk]["image"] == url  # the list says the same as the detail
    signed_in = {item["id"]: item for item in client.get("/api/campaigns/").json()["results"]}
    assert signed_in[campaign.pk]["image"] == url


def test_a_file_that_only_claims_to_be_a_png_is_refused(maya, media_root):
    fake = SimpleUploadedFile("cover.png", b"<?php system($_GET['c']); ?>" * 10, content_type="image/png")

    page = logged_in(maya).post("/studio/new/", {**_campaign_data(), "image": fake})

    assert page.status_code == 400
    assert _field_error(page, "image") == "The file is not an image we can read (PNG, JPEG, WebP or GIF)."
    assert not Campaign.objects.exists()
    assert stored_files(media_root) == []


def test_a_picture_over_the_size_limit_is_refused(maya, media_root, settings):
    settings.CAMPAIGN_IMAGE_MAX_BYTES = 1024 * 1024
    noise = io.BytesIO()
    Image.frombytes("RGB", (800, 800), bytes(range(256)) * (800 * 800 * 3 // 256)).effect_spread(50).save(
        noise, format="PNG"
    )
    assert len(noise.getvalue()) > 1024 * 1024
    big = SimpleUploadedFile("big.png", noise.getvalue(), content_type="image/png")

    page = logged_in(maya).post("/studio/new/", {**_campaign_data(), "image": big})

    assert page.status_code == 400
    assert _field_error(page, "image") == "The image is too large: at most 1 MB."
    assert not Campaign.objects.exists()
    assert stored_files(media_root) == []


def test_a_picture_with_too_many_pixels_is_refused_before_it_is_decoded(maya, media_root, settings):
    settings.CAMPAIGN_IMAGE_MAX_PIXELS = 100 * 100

    page = logged_in(maya).post("/studio/new/", {**_campaign_data(), "image": png(101, 100)})

    assert page.status_code == 400
    assert _field_error(page, "image") == "The image has too many pixels."


def test_a_new_picture_replaces_the_old_file_and_remove_takes_it_away(
    maya, media_root, django_capture_on_commit_callbacks
):
    """The old file is deleted once the change commits (the test runs those callbacks)."""
    campaign = factories.LiveCampaignFactory(creator=maya, title="Field Notebook", goal=Decimal("100.00"))
    client = logged_in(maya)

    client.post(f"/studio/{campaign.slug}/edit/", {"title": "Field Notebook", "image": png(color=(0, 0, 255))})
    campaign.refresh_from_db()
    first = campaign.image.name
    assert stored_files(media_root) == [first]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/studio/{campaign.slug}/edit/", {"title": "Field Notebook", "image": png(color=(0, 255, 0))})
    campaign.refresh_from_db()
    second = campaign.image.name
    assert second != first
    assert stored_files(media_root) == [second]  # the old file went with the change

    form = client.get(f"/studio/{campaign.slug}/edit/")
    assert 'name="remove_image"' in form.text and f'src="/media/{campaign.image.name}"' in form.text
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/studio/{campaign.slug}/edit/", {"title": "Field Notebook", "remove_image": "on"})
    campaign.refresh_from_db()
    assert not campaign.image
    assert stored_files(media_root) == []
    assert "<img" not in client.get(f"/campaigns/{campaign.slug}/").text.split("<main", 1)[-1]


def test_nobody_else_changes_the_picture(maya, media_root):
    campaign = factories.DraftCampaignFactory(creator=maya, title="Field Notebook")
    logged_in(maya).post(f"/studio/{campaign.slug}/edit/", {**_campaign_data(title="Field Notebook"), "image": png()})
    campaign.refresh_from_db()
    before = campaign.image.name
    stranger = factories.UserFactory(username="stranger", is_staff=True)

    for client in (logged_in(stranger), Client()):
        response = client.post(
            f"/studio/{campaign.slug}/edit/", {**_campaign_data(title="Field Notebook"), "image": png(color=(0, 0, 0))}
        )
        assert response.status_code in (302, 404)
        if response.status_code == 302:
            assert response["Location"].startswith("/login/")
        removed = client.post(f"/studio/{campaign.slug}/edit/", {"title": "Field Notebook", "remove_image": "on"})
        assert removed.status_code in (302, 404)

    campaign.refresh_from_db()
    assert campaign.image.name == before
    assert stored_files(media_root) == [before]


# --- the story preview ----------------------------------------------------------------------


def test_the_preview_button_renders_the_typed_story_and_saves_nothing(maya):
    campaign = factories.DraftCampaignFactory(creator=maya, title="Field Notebook", description="Old story")
    client = logged_in(maya)
    typed = "# Plan\n\n**Bold** plan <script>alert(1)</script>"

    page = client.post(
        f"/studio/{campaign.slug}/edit/", {**_campaign_data(title="Renamed", description=typed), "preview": "1"}
    )

    assert page.status_code == 200
    story = re.search(r'<div class="card story" id="story-preview">(.*?)</div>', page.text, re.S).group(1)
    assert "<h3>Plan</h3>" in story  # under the preview's h2
    assert "<strong>Bold</strong> plan" in story
    assert "<script>" not in story
    assert "Preview (not saved yet)" in page.text
    # What was typed is back in the form, to go on editing.
    assert 'value="Renamed"' in page.text and "**Bold** plan" in page.text
    campaign.refresh_from_db()
    assert (campaign.title, campaign.description) == ("Field Notebook", "Old story")


def test_a_new_drafts_story_is_previewed_before_it_exists(maya):
    page = logged_in(maya).post("/studio/new/", {**_campaign_data(description="A *first* try"), "preview": "1"})

    assert page.status_code == 200
    assert "<em>first</em>" in page.text
    assert not Campaign.objects.exists()


def test_the_draft_page_preview_is_the_creators_only(maya):
    campaign = factories.DraftCampaignFactory(creator=maya, title="Field Notebook")

    mine = logged_in(maya).get(f"/campaigns/{campaign.slug}/")

    assert mine.status_code == 200 and 'id="draft-preview-notice"' in mine.text
    assert logged_in(factories.UserFactory(username="river")).get(f"/campaigns/{campaign.slug}/").status_code == 404
    assert Client().get(f"/campaigns/{campaign.slug}/").status_code == 404
