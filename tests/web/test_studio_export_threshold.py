"""The studio's backer XLSX is built in the request only up to STUDIO_INLINE_EXPORT_ROWS rows;
past that it is the reports app's background export, downloaded once it is built (issue 18,
item 5.7)."""

import io
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from core.queue import queued
from reports.models import ExportJob
from reports.services import export_build
from tests import factories

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def maya():
    return factories.UserFactory(username="maya", email="maya@example.com")


@pytest.fixture
def three_backers(maya):
    campaign = factories.LiveCampaignFactory(creator=maya, goal=Decimal("100.00"))
    for amount in ("10.00", "20.00", "30.00"):
        factories.PledgeFactory(campaign=campaign, amount=amount)
    return campaign


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rows(content: bytes) -> int:
    return len(list(load_workbook(io.BytesIO(content), read_only=True).active.iter_rows())) - 1


def test_the_default_threshold_is_2000_rows(settings):
    assert settings.STUDIO_INLINE_EXPORT_ROWS == 2000


def test_up_to_the_threshold_the_xlsx_is_built_in_the_request(maya, three_backers, settings):
    settings.STUDIO_INLINE_EXPORT_ROWS = 3

    response = _logged_in(maya).get(f"/studio/{three_backers.slug}/backers.xlsx")

    assert (response.status_code, response["Content-Type"]) == (200, XLSX)
    assert _rows(b"".join(response.streaming_content)) == 3
    assert not ExportJob.objects.exists()


def test_past_the_threshold_it_is_a_background_export_the_creator_downloads(
    maya, three_backers, settings, stored_exports, django_capture_on_commit_callbacks
):
    settings.STUDIO_INLINE_EXPORT_ROWS = 2
    client = _logged_in(maya)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.get(f"/studio/{three_backers.slug}/backers.xlsx?state=active")

    assert (response.status_code, response["Location"]) == (302, f"/studio/{three_backers.slug}/")
    job = ExportJob.objects.get()
    assert (job.requested_by, job.kind, job.format, job.campaign, job.rows_total) == (
        maya,
        ExportJob.Kind.BACKERS,
        "xlsx",
        three_backers,
        3,
    )
    assert job.filters["states"] == ["active"]
    assert queued(callbacks) == [("reports.tasks.build_export", (job.pk,))]
    page = client.get(response["Location"])
    assert "The backer report has 3 rows, so it is being built in the background." in page.text

    export_build(job_id=job.pk)  # what the exports worker does with the message
    download = client.get(f"/api/exports/{job.pk}/download/")

    assert (download.status_code, download["Content-Type"]) == (200, XLSX)
    assert _rows(b"".join(download.streaming_content)) == 3
