"""The public profile's fields (profile_update): bio, website, location and a re-encoded
avatar; the settings page that edits them; a deleted account loses them."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts.models import Profile
from accounts.services import profile_update, user_delete
from core.errors import InvalidInput
from tests import factories
from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _png(width: int = 900, height: int = 600) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(out, format="PNG")
    return SimpleUploadedFile("me.png", out.getvalue(), content_type="image/png")


@pytest.fixture
def river():
    return factories.UserFactory(username="river", email="river@example.com", password=PASSWORD)


def test_the_profile_fields_are_saved_checked(river):
    profile_update(user=river, bio="  Maps and songs. ", website="https://river.example", location=" Berlin,  DE ")
    profile = Profile.objects.get(user=river)
    assert (profile.bio, profile.website, profile.location) == (
        "Maps and songs.",
        "https://river.example",
        "Berlin, DE",
    )


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"website": "javascript:alert(1)"}, "invalid_website"),
        ({"website": "ftp://river.example"}, "invalid_website"),
        ({"website": "https://" + "a" * 250 + ".example"}, "invalid_website"),
        ({"bio": "x" * 301}, "invalid_bio"),
        ({"location": "x" * 81}, "invalid_location"),
        ({"location": "Ber\u202elin"}, "invalid_location"),
        ({"display_name": "x" * 51}, "invalid_display_name"),
    ],
)
def test_bad_profile_fields_are_refused_and_nothing_is_written(river, changes, code):
    profile_update(user=river, bio="Before.")
    with pytest.raises(InvalidInput) as refused:
        profile_update(user=river, **{"bio": "After.", **changes} if "bio" not in changes else changes)
    assert refused.value.code == code
    assert Profile.objects.get(user=river).bio == "Before."


def test_the_avatar_is_re_encoded_and_shrunk(river):
    profile = profile_update(user=river, avatar=_png())
    assert profile.avatar.name.startswith("avatars/") and profile.avatar.name.endswith(".jpg")
    with Image.open(profile.avatar.open()) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (400, 267)


def test_a_file_that_is_not_a_picture_is_refused(river):
    with pytest.raises(InvalidInput) as refused:
        profile_update(user=river, avatar=SimpleUploadedFile("me.png", b"<?php echo 1;", content_type="image/png"))
    assert refused.value.code == "invalid_image"
    assert not Profile.objects.get(user=river).avatar


def test_the_settings_page_edits_the_profile_and_the_public_page_shows_it(river):
    client = Client()
    client.force_login(river)
    response = client.post(
        "/me/account/profile/",
        {
            "display_name": "River Song",
            "bio": "Maps.",
            "website": "https://river.example",
            "location": "Berlin",
            "avatar": _png(),
        },
    )
    assert response.status_code == 302
    page = Client().get("/u/river/").content.decode()
    assert "<h1>River Song</h1>" in page and "Maps." in page and "Berlin" in page
    assert 'href="https://river.example" rel="nofollow noopener ugc"' in page
    assert re.search(r'<img class="avatar" src="[^"]*/avatars/[^"]+\.jpg"', page)
    bad = client.post("/me/account/profile/", {"display_name": "River", "website": "javascript:alert(1)"})
    assert bad.status_code == 400
    assert "Enter a web address starting with https:// or http://." in bad.content.decode()


def test_a_deleted_account_loses_its_public_profile(river):
    profile_update(user=river, bio="Maps.", website="https://river.example", location="Berlin", avatar=_png())
    user_delete(user=river, password=PASSWORD)
    profile = Profile.objects.get(user_id=river.pk)
    assert (profile.bio, profile.website, profile.location, profile.avatar.name) == ("", "", "", "")
    assert Client().get("/u/river/").status_code == 404


def test_the_api_gives_the_public_profile(river):
    from tests.support.api import assert_error, client_as

    profile_update(user=river, display_name="River Song", bio="Maps.", location="Berlin")
    campaign = factories.LiveCampaignFactory(creator=river)
    factories.DraftCampaignFactory(creator=river)
    body = client_as(None).get("/api/users/river/").json()
    assert body == {
        "username": "river",
        "display_name": "River Song",
        "avatar": None,
        "bio": "Maps.",
        "website": "",
        "location": "Berlin",
        "verified": False,
        "campaigns": [campaign.pk],
        "backed_count": 0,
    }
    assert_error(client_as(None).get("/api/users/nobody/"), 404)
    assert_error(client_as(None).get("/api/users/%E2%80%AEriver/"), 404)
