from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from reports.management.commands._progress import ProgressBar, RawOutput
from reports.platform import campaigns_for_report, parse_states, platform_report
from reports.writers import write_csv, write_xlsx


class Command(BaseCommand):
    help = "Write the platform report (every campaign, then a summary by month and state) as CSV or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
        parser.add_argument("--output", "-o", help="File to write (default: stdout; required for xlsx).")
        parser.add_argument("--state", help="Campaign states, comma-separated.")

    def handle(self, *args, format: str, output: str | None, state: str | None, **options):
        try:
            campaigns = campaigns_for_report(parse_states(state))
        except DomainError as error:
            raise CommandError(error.message) from error
        report = platform_report(campaigns)
        progress = ProgressBar(self.stderr, report.rows_total, label="campaigns", enabled=options["verbosity"] > 0)
        if format == "xlsx":
            if not output:
                raise CommandError("--output is required for xlsx.")
            write_xlsx(report, output, progress)
        elif output:
            with open(output, "w", newline="", encoding="utf-8") as out:
                write_csv(report, out, progress)
        else:
            write_csv(report, RawOutput(self.stdout), progress)
        progress.finish(report.rows_total)
