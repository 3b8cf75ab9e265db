"""Reports' services (its writes): exports built in the background, each an ExportJob row, a
Celery task and a file in the exports storage. The reports themselves are reads (backers, platform).

A report with more rows than ``EXPORT_ASYNC_THRESHOLD`` (or any report asked for
with ``?async=1``) is not streamed in the request: an ExportJob is written and
``reports.tasks.build_export`` is enqueued once that row is committed. The task
holds a PostgreSQL advisory lock on the job while it writes, so a redelivered or
re-swept message never builds one job twice at the same time; a job found done is
left alone, a job found running (its worker died) is built again from scratch. The
file is written to a temporary file of the worker and stored (``storages["exports"]``:
object storage, core/storage.py) once complete, so a download never sees half a file
and any node can serve it. ``rows_done`` is updated as rows are written; the
requester is e-mailed a download link when the job is done.

The files are private: the exports storage is never served as media, each job's name
has an unguessable part, the only way to a file is the authenticated download view,
and files and jobs older than EXPORT_RETENTION are deleted. The name is written to the
job before the build starts, so whatever a worker that died mid-build stored is found
and deleted (by the rebuild, or with the job).
"""

from __future__ import annotations

import io
import logging
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from pathlib import PurePosixPath
from typing import IO, Any, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign
from core import locks
from core.links import absolute_url
from core.locks import try_advisory_lock
from core.queue import enqueue_on_commit
from core.storage import exports_storage, open_stream
from fulfilment.selectors import may_view_addresses
from notifications.services import EXPORT_READY, notify
from reports.backers import BackerFilters, backer_report
from reports.models import ExportJob
from reports.platform import campaigns_for_report, platform_report
from reports.writers import Report, write_csv, write_xlsx

log = logging.getLogger(__name__)

FORMATS = ("csv", "xlsx")
# Seconds between two progress writes to the job row.
PROGRESS_INTERVAL = 0.25
# A job still queued or running this long after it was asked for is enqueued again by the sweep.
LEFT_BEHIND_AFTER = timedelta(minutes=10)


def export_goes_async(*, rows: int, forced: bool | None) -> bool:
    """``forced`` is the ``?async=`` flag: True, False, or None to decide by size."""
    if forced is not None:
        return forced
    threshold: int = settings.EXPORT_ASYNC_THRESHOLD
    return rows > threshold


@transaction.atomic
def export_create(
    *,
    requested_by: User,
    kind: str,
    format: str = "csv",
    campaign: Campaign | None = None,
    filters: dict[str, Any] | None = None,
    rows_total: int = 0,
) -> ExportJob:
    """Queue a report; the task is enqueued only once the job row is committed."""
    if format not in FORMATS:
        raise ValueError(f"unknown export format {format!r}")
    job = ExportJob.objects.create(
        requested_by=requested_by,
        kind=kind,
        format=format,
        campaign=campaign,
        filters=filters or {},
        rows_total=rows_total,
    )
    enqueue_on_commit("reports.tasks.build_export", job.pk)
    return job


def export_report(job: ExportJob) -> Report:
    if job.kind == ExportJob.Kind.BACKERS:
        # A backers export always names its campaign (the API asks for one).
        campaign = cast(Campaign, job.campaign)
        # Addresses as the requester may see them when the file is built (not when it was asked for).
        addresses = may_view_addresses(job.requested_by, campaign)
        return backer_report(campaign, BackerFilters.from_json(job.filters), addresses=addresses)
    return platform_report(campaigns_for_report(tuple(job.filters.get("states") or ())))


def export_file_name(job: ExportJob) -> str:
    """The download's file name ("backers-….csv")."""
    return PurePosixPath(job.file).name


def export_open(job: ExportJob) -> tuple[Iterator[bytes], int] | None:
    """The finished file as chunks read from storage as they are sent, and its size; None if
    the job is not done or its file is gone."""
    if job.state != ExportJob.State.DONE or not job.file:
        return None
    return open_stream(exports_storage(), job.file)


def export_download_url(job: ExportJob) -> str:
    return absolute_url("export-download", job.pk)


@contextmanager
def _text(binary: IO[bytes]) -> Iterator[io.TextIOWrapper]:
    """A UTF-8 text view of a binary file; flushed and detached after, so the file stays open."""
    wrapper = io.TextIOWrapper(binary, encoding="utf-8", newline="")
    try:
        yield wrapper
    finally:
        wrapper.flush()
        wrapper.detach()


def _progress_recorder(job_id: int) -> Callable[[int], None]:
    last = 0.0

    def record(done: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_INTERVAL:
            ExportJob.objects.filter(pk=job_id).update(rows_done=done)
            last = now

    return record


def export_build(*, job_id: int, now: datetime | None = None) -> ExportJob | None:
    """Write the job's file. Returns the job once done (or failed); None if another worker has it.

    Returns the job untouched when it was done already, so a repeated message is harmless.
    """
    with try_advisory_lock(locks.EXPORT, job_id) as locked:
        if not locked:
            return None
        job = ExportJob.objects.select_related("campaign", "requested_by").filter(pk=job_id).first()
        if job is None or job.state in (ExportJob.State.DONE, ExportJob.State.FAILED):
            return job
        report = export_report(job)
        ExportJob.objects.filter(pk=job.pk).update(
            state=ExportJob.State.RUNNING, rows_total=report.rows_total, rows_done=0, error=""
        )
        export_files_remove(job)
        name = f"{job.pk}-{secrets.token_hex(16)}/{report.name}.{job.format}"
        # Named before anything is stored: a worker dying from here on leaves a name to delete.
        ExportJob.objects.filter(pk=job.pk).update(file=name)
        job.file = name
        progress = _progress_recorder(job.pk)
        try:
            with tempfile.TemporaryFile(suffix=f".{job.format}.part") as part:
                if job.format == "xlsx":
                    write_xlsx(report, part, progress)
                else:
                    with _text(part) as out:
                        write_csv(report, out, progress)
                part.seek(0)
                stored = exports_storage().save(name, File(part, name=name))
            if stored != name:  # the storage never renames a free name; say so if it did
                raise RuntimeError(f"the exports storage stored {name!r} as {stored!r}")
        except Exception as error:
            log.exception("export %s failed", job.pk)
            ExportJob.objects.filter(pk=job.pk).update(
                state=ExportJob.State.FAILED,
                error=f"{type(error).__name__}: {error}"[:2000],
                finished_at=now or timezone.now(),
            )
            raise
        with transaction.atomic():
            ExportJob.objects.filter(pk=job.pk).update(
                state=ExportJob.State.DONE,
                rows_done=report.rows_total,
                finished_at=now or timezone.now(),
            )
            job.refresh_from_db()
            _notify_ready(job)
        return job


def exports_left_behind(*, now: datetime | None = None) -> list[int]:
    """Jobs a lost message left queued or a dead worker left running."""
    now = now or timezone.now()
    return list(
        ExportJob.objects.filter(
            state__in=(ExportJob.State.QUEUED, ExportJob.State.RUNNING), created_at__lte=now - LEFT_BEHIND_AFTER
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _notify_ready(job: ExportJob) -> None:
    """The requester hears once that the file is ready (a notification row, sent after the commit)."""
    # The e-mail names the report in its reader's language (templates/emails/export_ready.txt).
    campaign_title = job.campaign.title if job.kind == ExportJob.Kind.BACKERS and job.campaign else ""
    notify(
        recipient_id=job.requested_by_id,
        kind=EXPORT_READY,
        key=f"{EXPORT_READY}:{job.pk}",
        campaign_title=campaign_title,
        rows=job.rows_total,
        format=job.format.upper(),
        download_url=export_download_url(job),
    )


def export_files_remove(job: ExportJob) -> None:
    """Delete a job's file (a finished one, or what a worker that died mid-build stored)."""
    name = ExportJob.objects.filter(pk=job.pk).values_list("file", flat=True).first() or job.file
    if name:
        exports_storage().delete(name)


def exports_forget_old(*, now: datetime | None = None) -> int:
    """Exports older than EXPORT_RETENTION go, files and rows; the number of jobs deleted."""
    now = now or timezone.now()
    old = list(ExportJob.objects.filter(created_at__lt=now - settings.EXPORT_RETENTION).order_by("pk"))
    for job in old:
        export_files_remove(job)
    ExportJob.objects.filter(pk__in=[job.pk for job in old]).delete()
    return len(old)


def exports_erase(*, requested_by: User) -> int:
    """A deleted account's exports go: rows now, files once the deletion is committed."""
    jobs = list(ExportJob.objects.filter(requested_by=requested_by))
    for job in jobs:
        transaction.on_commit(partial(export_files_remove, job))
    ExportJob.objects.filter(pk__in=[job.pk for job in jobs]).delete()
    return len(jobs)
