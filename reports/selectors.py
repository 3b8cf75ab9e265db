"""Reads of the reports app. The reports themselves (backers, platform, stats) are reads too,
each in its own module; this holds the small queries the API needs."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from core.permissions import staff_may
from reports.models import ExportJob


def export_jobs_visible_to(user: AbstractBaseUser) -> QuerySet[ExportJob]:
    """The requester sees their own exports; staff see everyone's."""
    jobs = ExportJob.objects.select_related("campaign")
    return jobs if staff_may(user, "reports.view_exportjob") else jobs.filter(requested_by=user)
