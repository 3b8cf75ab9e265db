"""Thin Celery tasks for reports: ids in, reports.services does the work."""

import logging

from celery import shared_task

from reports import services

log = logging.getLogger(__name__)

# A report of the largest campaigns (185k backers) takes seconds as CSV, longer as XLSX.
EXPORT_SOFT_TIME_LIMIT = 1800


@shared_task(acks_late=True, soft_time_limit=EXPORT_SOFT_TIME_LIMIT, time_limit=EXPORT_SOFT_TIME_LIMIT + 60)
def build_export(job_id: int) -> str | None:
    """Write the export's file; the requester is e-mailed once it is done. A repeat finds it done."""
    job = services.export_build(job_id=job_id)
    if job is not None:
        log.info("export %s built: %s, %s rows", job_id, job.state, job.rows_done)
    return job.state if job else None  # None: another worker is building it


@shared_task(acks_late=True)
def export_sweep() -> int:
    """Beat: enqueue again the exports a lost message or a dead worker left unfinished."""
    left = services.exports_left_behind()
    for job_id in left:
        build_export.delay(job_id)
    return len(left)


@shared_task(acks_late=True)
def forget_old_exports() -> int:
    """Beat, hourly: exports past their retention are deleted, files and jobs."""
    return services.exports_forget_old()
