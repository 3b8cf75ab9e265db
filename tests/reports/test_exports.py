import re
from datetime import timedelta
from io import BytesIO
from pathlib import PurePosixPath

import psycopg
import pytest
import time_machine
from django.core import mail
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from core import locks
from core.storage import exports_storage
from notifications.services import notifications_send
from pledges.models import Pledge
from reports import backers, services, writers
from reports.models import ExportJob
from tests import factories
from tests.conftest import client_for, wait_until
from tests.support.api import assert_error
from tests.support.mail import messages_in


@pytest.fixture
def media(stored_exports):
    return stored_exports


@pytest.fixture
def campaign(live_campaign):
    for amount in ("10.00", "20.00", "30.00"):
        factories.PledgeFactory(campaign=live_campaign, amount=amount)
    return live_campaign


def _ask(user, campaign, **params):
    response = client_for(user).get(f"/api/campaigns/{campaign.pk}/backers.csv", {"async": "1", **params})
    assert response.status_code == 202, response.content[:300]
    return ExportJob.objects.get(pk=response.json()["id"])


def _sync_csv(user, campaign, **params) -> bytes:
    response = client_for(user).get(f"/api/campaigns/{campaign.pk}/backers.csv", {"async": "0", **params})
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_a_background_export_is_followed_then_downloaded(campaign, media, staff):
    creator = campaign.creator
    job = _ask(creator, campaign, state="active")
    detail = f"/api/exports/{job.pk}/"

    queued = client_for(creator).get(detail)
    assert queued.status_code == 200
    assert (queued.json()["state"], queued.json()["progress"], queued.json()["download_url"]) == ("queued", 0, None)
    assert queued.json()["filters"] == {"reward": None, "states": ["active"]}
    assert_error(client_for(creator).get(f"{detail}download/"), 409, code="export_not_ready")

    services.export_build(job_id=job.pk)

    done = client_for(creator).get(detail).json()
    assert (done["state"], done["rows_total"], done["rows_done"], done["progress"]) == ("done", 3, 3, 100)
    assert done["download_url"].endswith(f"/api/exports/{job.pk}/download/")
    download = client_for(creator).get(f"{detail}download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"] == f'attachment; filename="backers-{campaign.slug}.csv"'
    assert b"".join(download.streaming_content) == _sync_csv(creator, campaign, state="active")
    assert client_for(staff).get(f"{detail}download/").status_code == 200
    job.refresh_from_db()
    assert media.names() == [job.file]
    assert re.fullmatch(rf"{job.pk}-[0-9a-f]{{32}}/backers-{campaign.slug}\.csv", job.file)


@pytest.mark.django_db
def test_only_the_requester_and_staff_see_an_export(campaign, media, staff):
    job = _ask(campaign.creator, campaign)
    services.export_build(job_id=job.pk)
    stranger = factories.UserFactory()

    assert_error(client_for(stranger).get(f"/api/exports/{job.pk}/"), 404)
    assert_error(client_for(stranger).get(f"/api/exports/{job.pk}/download/"), 404)
    assert client_for(staff).get(f"/api/exports/{job.pk}/").status_code == 200
    assert [j["id"] for j in client_for(campaign.creator).get("/api/exports/").json()["results"]] == [job.pk]
    assert client_for(stranger).get("/api/exports/").json()["count"] == 0
    assert_error(APIClient().get(f"/api/exports/{job.pk}/"), 401)


@pytest.mark.django_db
def test_the_requester_is_emailed_a_link(campaign, media):
    job = _ask(campaign.creator, campaign)
    services.export_build(job_id=job.pk)
    services.export_build(job_id=job.pk)  # a repeat finds it done and tells nobody again
    notifications_send()  # also the backers' pledge confirmations, to them

    [message] = [m for m in mail.outbox if m.to == [campaign.creator.email]]
    assert message.to == [campaign.creator.email]
    assert "backer report" in message.subject and campaign.title in message.subject
    assert f"/api/exports/{job.pk}/download/" in message.body
    assert "3 rows" in message.body


@pytest.mark.django_db
def test_progress_is_written_as_rows_go_out(live_campaign, media, monkeypatch):
    for _ in range(5):
        factories.PledgeFactory(campaign=live_campaign, amount="10.00")
    job = _ask(live_campaign.creator, live_campaign)
    monkeypatch.setattr(services, "PROGRESS_INTERVAL", 0)
    monkeypatch.setattr(writers, "CHUNK_ROWS", 2)
    monkeypatch.setattr(backers, "PROGRESS_BATCH_ROWS", 2)  # the backer CSV is copied by PostgreSQL in batches

    with CaptureQueriesContext(connection) as queries:
        services.export_build(job_id=job.pk)

    written = [
        int(m.group(1))
        for q in queries.captured_queries
        if (m := re.search(r'UPDATE "campaigns_exportjob" SET "rows_done" = (\d+) WHERE', q["sql"]))
    ]
    assert written == [2, 4, 5]
    job.refresh_from_db()
    assert (job.state, job.rows_done, job.rows_total) == ("done", 5, 5)


@pytest.mark.django_db
def test_a_report_built_in_batches_is_the_report_streamed_at_once(live_campaign, media, monkeypatch):
    """Each batch reads only its own pledges (from where the previous one ended) and numbers them
    after those before it: the file has the numbers and rows of the one-query CSV, filtered too."""
    pledges = [factories.PledgeFactory(campaign=live_campaign, amount=f"{10 + n}.00") for n in range(7)]
    for pledge in pledges[1::3]:
        Pledge.objects.filter(pk=pledge.pk).update(state=Pledge.State.CANCELED)
    monkeypatch.setattr(backers, "PROGRESS_BATCH_ROWS", 3)
    creator = live_campaign.creator

    for params in ({}, {"state": "active"}):
        with CaptureQueriesContext(connection) as queries:
            job = services.export_build(job_id=_ask(creator, live_campaign, **params).pk)

        # The survey's questions are read for the header and the statement, not again per batch.
        assert sum('"fulfilment_surveyquestion"' in q["sql"] for q in queries.captured_queries) == 2
        built = media.read(job.file).decode()
        assert built == _sync_csv(creator, live_campaign, **params).decode()
        numbers = [int(line.split(",")[0]) for line in built.splitlines()[1:]]
        assert numbers == ([1, 2, 3, 4, 5, 6, 7] if not params else [1, 3, 4, 6, 7])


@pytest.mark.django_db
def test_building_twice_changes_nothing_and_a_dead_worker_s_job_is_built_again(campaign, media):
    job = _ask(campaign.creator, campaign)
    services.export_build(job_id=job.pk)
    job.refresh_from_db()
    first = job.file

    again = services.export_build(job_id=job.pk)

    assert again.state == "done" and again.file == first  # a rebuild would store it under a new name
    assert media.names() == [first]
    # A worker killed after storing (or while storing) leaves the job running with its name written.
    ExportJob.objects.filter(pk=job.pk).update(state="running", rows_done=1)
    media.storage.delete(first)
    media.storage.save(first, ContentFile(b"half"))
    rebuilt = services.export_build(job_id=job.pk)
    assert rebuilt.state == "done" and rebuilt.rows_done == 3 and rebuilt.file != first
    assert media.read(rebuilt.file) == _sync_csv(campaign.creator, campaign)
    assert media.names() == [rebuilt.file]  # what the dead worker stored is gone


@pytest.mark.django_db
def test_a_failed_build_says_why(campaign, media, monkeypatch):
    job = _ask(campaign.creator, campaign)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(services, "write_csv", broken)
    with pytest.raises(OSError):
        services.export_build(job_id=job.pk)

    job.refresh_from_db()
    assert (job.state, job.error) == ("failed", "OSError: disk full")
    assert job.finished_at is not None
    assert media.names() == []
    assert services.export_build(job_id=job.pk).state == "failed"  # not retried blindly


@pytest.mark.django_db
def test_a_file_gone_from_storage_is_a_clear_error(campaign, media):
    job = _ask(campaign.creator, campaign)
    services.export_build(job_id=job.pk)
    services.export_files_remove(job)

    assert_error(client_for(campaign.creator).get(f"/api/exports/{job.pk}/download/"), 409, code="export_gone")


@pytest.mark.django_db
def test_the_platform_report_can_be_built_in_the_background_as_xlsx(campaign, media, staff):
    response = client_for(staff).get("/api/reports/campaigns.xlsx", {"async": "1"})
    assert response.status_code == 202
    job = ExportJob.objects.get(pk=response.json()["id"])
    assert (job.kind, job.format, job.campaign_id) == ("campaigns", "xlsx", None)

    services.export_build(job_id=job.pk)

    download = client_for(staff).get(f"/api/exports/{job.pk}/download/")
    workbook = load_workbook(BytesIO(b"".join(download.streaming_content)))
    ids = [row[0] for row in workbook["Campaigns"].iter_rows(min_row=2, values_only=True)]
    assert campaign.pk in ids


@pytest.mark.django_db
def test_the_sweep_finds_jobs_a_lost_message_left_behind(campaign):
    old = _ask(campaign.creator, campaign)
    new = _ask(campaign.creator, campaign)
    done = _ask(campaign.creator, campaign)
    long_ago = timezone.now() - timedelta(minutes=11)
    ExportJob.objects.filter(pk__in=[old.pk, done.pk]).update(created_at=long_ago)
    ExportJob.objects.filter(pk=done.pk).update(state="done")

    assert services.exports_left_behind() == [old.pk]
    assert new.pk not in services.exports_left_behind(now=timezone.now())


@pytest.mark.celery
def test_a_worker_builds_the_export_and_emails_the_link(celery_worker, worker_mail_dir, settings):
    creator = factories.UserFactory()
    campaign = factories.LiveCampaignFactory(creator=creator)
    for amount in ("10.00", "20.00", "30.00", "40.00"):
        factories.PledgeFactory(campaign=campaign, amount=amount)
    expected = _sync_csv(creator, campaign)

    job = _ask(creator, campaign)
    try:
        wait_until(
            lambda: ExportJob.objects.filter(pk=job.pk, state__in=("done", "failed")).exists(),
            message="the export to finish",
        )
        job.refresh_from_db()
        assert (job.state, job.error, job.rows_done, job.rows_total) == ("done", "", 4, 4)
        with exports_storage().open(job.file, "rb") as stored:
            assert stored.read() == expected
        download = client_for(creator).get(f"/api/exports/{job.pk}/download/")
        assert b"".join(download.streaming_content) == expected

        def the_mail():
            return [m for m in messages_in(worker_mail_dir) if f"/api/exports/{job.pk}/download/" in m.as_string()]

        [message] = wait_until(the_mail, message="the export e-mail")
        assert message["To"] == creator.email
    finally:
        services.export_files_remove(job)


@pytest.mark.django_db
def test_a_job_another_worker_is_building_is_left_to_it(campaign, media):
    job = _ask(campaign.creator, campaign)
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"}, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [locks.EXPORT, job.pk])

        assert services.export_build(job_id=job.pk) is None

    # The server drops a closed connection's locks as its backend exits, a moment later.
    def lock_gone() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objid = %s",
                [locks.EXPORT, job.pk],
            )
            return cursor.fetchone()[0] == 0

    wait_until(lock_gone, timeout=5, message="the closed connection's advisory lock to go")
    job.refresh_from_db()
    assert job.state == "queued"
    assert services.export_build(job_id=job.pk).state == "done"  # the lock went with that connection


@pytest.mark.django_db
def test_an_export_s_file_has_an_unguessable_private_path_and_goes_after_the_retention(campaign, media, settings):
    first = services.export_build(job_id=_ask(campaign.creator, campaign).pk)
    second = services.export_build(job_id=_ask(campaign.creator, campaign).pk)

    for job in (first, second):
        folder = PurePosixPath(job.file).parts[0]
        assert re.fullmatch(rf"{job.pk}-[0-9a-f]{{32}}", folder), job.file
    assert media.names() == sorted([first.file, second.file])
    # Not a picture: nothing of the exports storage is served as media, however the path is spelt.
    location = settings.STORAGES["exports"]["OPTIONS"]["location"]
    for path in (first.file, f"{location}/{first.file}", f"../{location}/{first.file}", f"..%2f{first.file}"):
        assert APIClient().get(f"/media/{path}").status_code == 404, path
    with time_machine.travel(timezone.now() + settings.EXPORT_RETENTION + timedelta(seconds=1)):
        forgotten = services.exports_forget_old()

    assert forgotten == 2
    assert not ExportJob.objects.filter(pk__in=[first.pk, second.pk]).exists()
    assert media.names() == []
