"""Writing report rows as CSV (streamed) or XLSX, with CSV-injection protection.

A report is a list of sections, each a header and a lazy iterable of rows of
plain Python values (str, int, Decimal, datetime, date, None). The writers turn
them into cells: amounts as decimal strings exactly as the row builder quantized
them, datetimes as ISO 8601 in UTC, text neutralised against formula injection.
Nothing here holds more than one chunk of rows in memory.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

# A spreadsheet treats a cell starting with =, +, -, @ as a formula, and a tab or carriage
# return may shift one into it (OWASP's list for CSV injection). Excel in a locale whose list
# separator is ";" (German, French) splits an unquoted cell at a ";" and reads what follows as
# a cell of its own (";=1+1"), and it skips leading spaces before a formula (" =1+1"). So a
# cell is neutralised when it starts with one of those, or with a ";", or when a trigger
# follows leading spaces, line breaks, ";" or ",". One pattern, written so that Python's re
# and PostgreSQL's ~ read it alike (reports.backers uses it in SQL).
FORMULA_START = "^(?:[ \t\r\n;,]*[=+@-]|[\t\r;])"
_FORMULA_START = re.compile(FORMULA_START)
# Rows per chunk of streamed CSV (one write to the client) and per progress report.
CHUNK_ROWS = 500

Progress = Callable[[int], None]


def safe_text(value: str) -> str:
    """Prefix a single quote to text a spreadsheet would run as a formula (FORMULA_START): the
    one neutraliser of every CSV and XLSX cell (csv_cell, xlsx_cell, the backer report's SQL)."""
    return "'" + value if _FORMULA_START.match(value) else value


def format_datetime(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date | Decimal | int):
        return str(value)
    raise TypeError(f"no CSV form for {type(value).__name__}")


def xlsx_cell(value: Any) -> Any:
    """Numbers stay numbers (Decimal is written exactly); text is neutralised and stripped of
    the control characters XLSX cannot hold; datetimes become naive UTC (Excel has no zones)."""
    if isinstance(value, str):
        return safe_text(_illegal_in_xlsx().sub("", value))
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


@dataclass
class Section:
    title: str
    header: list[str]
    rows: Iterable[list[Any]]
    # Whether this section's rows count towards the progress (the main rows do, a summary not).
    counted: bool = True


@dataclass
class Report:
    name: str  # file name without extension
    sections: list[Section]
    rows_total: int = 0
    meta: dict[str, Any] = field(default_factory=dict)
    # The same report as CSV text made by the database (the backer report: COPY … TO STDOUT),
    # used instead of the rows whenever CSV is written; told the rows written so far.
    csv: Callable[[Progress | None], Iterator[str]] | None = None


class _Echo:
    """A file-like object whose write() hands the line back: csv.writer without a buffer."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(report: Report, progress: Progress | None = None) -> Iterator[str]:
    """The report as CSV text, CHUNK_ROWS rows at a time (for StreamingHttpResponse or a file).

    Sections after the first follow a blank line and a line with their title.
    ``progress`` is told the number of counted rows written after each chunk.
    """
    if report.csv is not None:
        yield from report.csv(progress)
        return
    writer = csv.writer(_Echo())
    done = reported = 0
    for index, section in enumerate(report.sections):
        chunk = []
        if index:
            chunk += ["\r\n", writer.writerow([section.title])]
        chunk.append(writer.writerow(section.header))
        in_chunk = 0
        for row in section.rows:
            chunk.append(writer.writerow([csv_cell(value) for value in row]))
            in_chunk += 1
            if section.counted:
                done += 1
            if in_chunk >= CHUNK_ROWS:
                yield "".join(chunk)
                chunk, in_chunk = [], 0
                if progress and done != reported:
                    progress(reported := done)
        if chunk:
            yield "".join(chunk)
        if progress and done != reported:
            progress(reported := done)


@functools.cache
def _illegal_in_xlsx() -> re.Pattern[str]:
    """openpyxl's pattern of the characters XLSX cannot hold, imported on first use: importing
    openpyxl costs a twentieth of a second, which a process that never writes XLSX need not pay."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    pattern: re.Pattern[str] = ILLEGAL_CHARACTERS_RE
    return pattern


def write_csv(report: Report, out: SupportsWrite[str], progress: Progress | None = None) -> None:
    for chunk in csv_chunks(report, progress):
        out.write(chunk)


def write_xlsx(report: Report, out: IO[bytes] | str, progress: Progress | None = None) -> None:
    """One sheet per section; openpyxl's write-only mode spools rows to disk, not memory."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    done = reported = 0
    for section in report.sections:
        sheet = workbook.create_sheet(title=section.title[:31])
        sheet.append(section.header)
        for row in section.rows:
            sheet.append([xlsx_cell(value) for value in row])
            if section.counted:
                done += 1
                if progress and done % CHUNK_ROWS == 0:
                    progress(reported := done)
        if progress and done != reported:
            progress(reported := done)
    workbook.save(out)


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
