"""Reports: the backer report, the platform report, and their background exports.

Reads only (selectors), except ``exports`` which writes ExportJob rows and files.
"""

from campaigns.reports.backers import BackerFilters, backer_report, pledge_report
from campaigns.reports.platform import platform_report
from campaigns.reports.writers import CONTENT_TYPES, Report, csv_chunks, safe_text, write_csv, write_xlsx

__all__ = [
    "CONTENT_TYPES",
    "BackerFilters",
    "Report",
    "backer_report",
    "csv_chunks",
    "platform_report",
    "pledge_report",
    "safe_text",
    "write_csv",
    "write_xlsx",
]
