from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Sum

from campaigns.models import Campaign
from pledges.models import Charge, Pledge


class Command(BaseCommand):
    help = "Show how far collection of a campaign has got: pledges and charges by state, money moved."

    def add_arguments(self, parser):
        parser.add_argument("campaign_id", type=int)

    def handle(self, *args, campaign_id: int, **options):
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is None:
            raise CommandError(f"No campaign {campaign_id}.")
        out = self.stdout.write
        out(f"{campaign.title} [{campaign.state}] goal {campaign.money(campaign.goal)} {campaign.currency}")
        out(f"pledged   {campaign.money(campaign.pledged)} from {campaign.backers_count} backers")
        out(f"collected {campaign.money(campaign.collected)} from {campaign.collected_count} pledges")
        out(f"refunded  {campaign.money(campaign.refunded)}")
        out("pledges:")
        pledges = Pledge.objects.filter(campaign=campaign).values("state").annotate(n=Count("id"), total=Sum("amount"))
        for row in pledges.order_by("state"):
            out(f"  {row['state']:<10} {row['n']:>8}  {campaign.money(row['total'])}")
        out("charges:")
        charges = Charge.objects.filter(pledge__campaign=campaign).values("state").annotate(n=Count("id"))
        for charge_row in charges.order_by("state"):
            out(f"  {charge_row['state']:<16} {charge_row['n']:>8}")
        active = Pledge.objects.filter(campaign=campaign, state=Pledge.State.ACTIVE).count()
        total = campaign.collected_count + active
        if campaign.state == Campaign.State.SUCCESSFUL and total:
            out(f"progress: {campaign.collected_count}/{total} ({100 * campaign.collected_count // total}%)")
