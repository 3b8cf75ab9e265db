from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Campaign
from core.errors import DomainError
from reports.backers import BackerFilters, backer_report
from reports.management.commands._progress import ProgressBar, RawOutput
from reports.writers import write_csv


class Command(BaseCommand):
    help = "Write a campaign's backer report as CSV (to stdout or --output), with a progress bar on stderr."

    def add_arguments(self, parser):
        parser.add_argument("campaign_id", type=int)
        parser.add_argument("--output", "-o", help="File to write (default: stdout).")
        parser.add_argument("--state", help="Pledge states, comma-separated (e.g. collected,errored).")
        parser.add_argument("--reward", help="A reward id of the campaign, or 'none'.")
        parser.add_argument(
            "--addresses", action="store_true", help="Fill the shipping address columns (empty without it)."
        )

    def handle(self, *args, campaign_id: int, output: str | None, state: str | None, reward: str | None, **options):
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is None:
            raise CommandError(f"No campaign {campaign_id}.")
        try:
            filters = BackerFilters.parse(campaign=campaign, reward=reward, state=state)
        except DomainError as error:
            raise CommandError(error.message) from error
        report = backer_report(campaign, filters, addresses=options["addresses"])
        progress = ProgressBar(self.stderr, report.rows_total, label="backers", enabled=options["verbosity"] > 0)
        if output:
            with open(output, "w", newline="", encoding="utf-8") as out:
                write_csv(report, out, progress)
        else:
            write_csv(report, RawOutput(self.stdout), progress)
        progress.finish(report.rows_total)
