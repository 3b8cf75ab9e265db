"""A report as an HTTP download, for the API views and the admin's export actions alike."""

import tempfile

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from reports.writers import CONTENT_TYPES, Report, csv_chunks, write_xlsx


def report_response(report: Report, fmt: str = "csv"):
    """CSV streams chunk by chunk as it is read; XLSX (a zip file) is written to a temporary
    file first (openpyxl's write-only mode keeps memory flat) and then streamed from it."""
    filename = f"{report.name}-{timezone.now():%Y%m%d}.{fmt}"
    if fmt == "xlsx":
        response: FileResponse | StreamingHttpResponse
        spool = tempfile.TemporaryFile()  # FileResponse closes it
        write_xlsx(report, spool)
        spool.seek(0)
        response = FileResponse(spool, content_type=CONTENT_TYPES["xlsx"])
    elif fmt == "csv":
        response = StreamingHttpResponse(csv_chunks(report), content_type=CONTENT_TYPES["csv"])
        response["X-Accel-Buffering"] = "no"  # a proxy passes chunks on instead of buffering the file
    else:
        raise ValueError(f"unknown report format {fmt!r}")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
