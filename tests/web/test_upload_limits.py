"""Uploads are measured as they arrive (core/uploads.py): an oversized one is refused without
its bytes being stored, with a form error on the site and a 413 JSON answer under /api/
(issue 18, item 5.6). A handler placed right before Django's own counts what reaches them."""

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from campaigns.models import Campaign
from tests import factories
from tests.conftest import client_for
from tests.web.test_studio_media import _campaign_data, _field_error, logged_in

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
DJANGO_HANDLERS = (
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
)
received: list[int] = []


class CountingHandler(FileUploadHandler):
    """What would be kept in memory or written to disk: every chunk Django's handlers get."""

    def receive_data_chunk(self, raw_data, start):
        received.append(len(raw_data))
        return raw_data

    def file_complete(self, file_size):
        return None


@pytest.fixture(autouse=True)
def counted(settings):
    settings.CAMPAIGN_IMAGE_MAX_BYTES = 1 * MB
    ours = [name for name in settings.FILE_UPLOAD_HANDLERS if name not in DJANGO_HANDLERS]
    settings.FILE_UPLOAD_HANDLERS = [*ours, f"{__name__}.CountingHandler", *DJANGO_HANDLERS]
    received.clear()
    return received


@pytest.fixture
def maya():
    return factories.UserFactory(username="maya")


def _file(size: int) -> SimpleUploadedFile:
    return SimpleUploadedFile("big.png", os.urandom(size), content_type="image/png")


def test_the_site_refuses_a_request_over_the_limit_without_storing_its_file(maya):
    page = logged_in(maya).post("/studio/new/", {**_campaign_data(), "image": _file(3 * MB)})

    assert page.status_code == 400
    assert _field_error(page, "image") == "The image is too large: at most 1 MB."
    assert 'value="Pocket Atlas"' in page.text  # the other fields arrived
    assert received == []
    assert not Campaign.objects.exists()


def test_the_site_stops_a_file_over_the_limit_where_it_passes_it(maya):
    page = logged_in(maya).post("/studio/new/", {**_campaign_data(), "image": _file(MB + MB // 2)})

    assert page.status_code == 400
    assert _field_error(page, "image") == "The image is too large: at most 1 MB."
    assert sum(received) <= MB
    assert not Campaign.objects.exists()


def test_the_api_answers_413_before_reading_a_request_over_the_limit(maya):
    response = client_for(maya).post(
        "/api/campaigns/", {"title": "Pocket Atlas", "image": _file(3 * MB)}, format="multipart"
    )

    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request is too large: an upload is at most 1 MB.",
        "code": "upload_too_large",
    }
    assert received == []
    assert not Campaign.objects.exists()


def test_the_api_answers_413_for_a_file_over_the_limit(maya):
    response = client_for(maya).post(
        "/api/campaigns/", {"title": "Pocket Atlas", "image": _file(MB + MB // 2)}, format="multipart"
    )

    assert (response.status_code, response.json()["code"]) == (413, "upload_too_large")
    assert sum(received) <= MB
    assert not Campaign.objects.exists()


def test_a_file_within_the_limit_reaches_django_whole(maya):
    response = client_for(maya).post(
        "/api/campaigns/", {"title": "Pocket Atlas", "image": _file(MB // 2)}, format="multipart"
    )

    assert response.status_code != 413
    assert sum(received) == MB // 2
