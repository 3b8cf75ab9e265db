from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Campaign
from closing.services import campaign_close, campaign_close_now


class Command(BaseCommand):
    help = "Close a live campaign: when its deadline has passed, or at once with --now. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("campaign_id", type=int)
        parser.add_argument("--now", action="store_true", help="end it now even if the deadline is still ahead")

    def handle(self, *args, campaign_id: int, now: bool, **options):
        if not Campaign.objects.filter(pk=campaign_id).exists():
            raise CommandError(f"No campaign {campaign_id}.")
        closed = campaign_close_now(campaign_id=campaign_id) if now else campaign_close(campaign_id=campaign_id)
        campaign = Campaign.objects.get(pk=campaign_id)
        if closed is None:
            self.stdout.write(f"Campaign {campaign_id} not closed: {campaign.state}, deadline {campaign.deadline}.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Campaign {campaign_id} closed: {campaign.state}."))
