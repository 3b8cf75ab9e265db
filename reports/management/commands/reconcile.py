from django.core.management.base import BaseCommand, CommandError

from reports.reconcile import reconcile


class Command(BaseCommand):
    help = (
        "Compare campaign totals, pledges, charges, tier stock and the provider's payments and refunds; "
        "print every difference and fail if there is any."
    )

    def add_arguments(self, parser):
        parser.add_argument("campaign_ids", nargs="*", type=int, help="only these campaigns (default: all)")
        parser.add_argument("--no-provider", action="store_true", help="skip the provider's side")

    def handle(self, *args, campaign_ids, no_provider, **options):
        differences = reconcile(campaign_ids=campaign_ids or None, provider=not no_provider)
        for difference in differences:
            self.stdout.write(difference)
        if differences:
            raise CommandError(f"{len(differences)} difference(s)")
        self.stdout.write(self.style.SUCCESS("No differences."))
