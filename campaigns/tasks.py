"""Thin Celery tasks for reports: ids in, campaigns.reports does the work."""

from celery import shared_task

from campaigns.models import ExportJob
from campaigns.reports import exports

# A report of the largest campaigns (185k backers) takes seconds as CSV, longer as XLSX.
EXPORT_SOFT_TIME_LIMIT = 1800


@shared_task(acks_late=True, soft_time_limit=EXPORT_SOFT_TIME_LIMIT, time_limit=EXPORT_SOFT_TIME_LIMIT + 60)
def build_export(job_id: int) -> str | None:
    """Write the export's file, then have the requester e-mailed; a repeat finds it done."""
    job = ExportJob.objects.filter(pk=job_id).only("state").first()
    already_done = job is not None and job.state == ExportJob.State.DONE
    job = exports.export_build(job_id=job_id)
    if job is None:
        return None  # another worker is building it
    if job.state == ExportJob.State.DONE and not already_done:
        send_export_ready_email.delay(job.pk)
    return job.state


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_export_ready_email(job_id: int) -> bool:
    job = ExportJob.objects.select_related("requested_by", "campaign").filter(pk=job_id).first()
    if job is None or job.state != ExportJob.State.DONE:
        return False
    exports.export_ready_email(job)
    return True


@shared_task(acks_late=True)
def export_sweep() -> int:
    """Beat: enqueue again the exports a lost message or a dead worker left unfinished."""
    left = exports.exports_left_behind()
    for job_id in left:
        build_export.delay(job_id)
    return len(left)
