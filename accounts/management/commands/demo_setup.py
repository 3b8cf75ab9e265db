from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.services import campaign_create, campaign_launch
from pledges.payments import get_gateway
from rewards.services import reward_create


class Command(BaseCommand):
    help = "Prepare the demo (idempotent): staff user `admin`, the localstripe webhook, a sample campaign."

    def add_arguments(self, parser):
        parser.add_argument("--admin-password", default="admin")

    def handle(self, *args, admin_password: str, **options):
        User = get_user_model()
        admin, created = User.objects.get_or_create(
            username="admin", defaults={"email": "admin@pledgeboard.local", "is_staff": True, "is_superuser": True}
        )
        admin.is_staff = admin.is_superuser = True
        admin.set_password(admin_password)
        admin.save()
        self.stdout.write(f"{'Created' if created else 'Updated'} staff user admin")
        if settings.STRIPE_API_BASE:
            # localstripe only; a real Stripe account has its endpoint set in the dashboard.
            get_gateway().register_webhook(
                url=f"{settings.SITE_URL}/api/webhooks/stripe/", secret=settings.STRIPE_WEBHOOK_SECRET
            )
            self.stdout.write(f"Registered the webhook endpoint with {settings.STRIPE_API_BASE}")
        self._sample_campaign()

    def _sample_campaign(self) -> None:
        """The reference campaign, once, so the demo has something to look at and pledge to."""
        User = get_user_model()
        creator, _ = User.objects.get_or_create(username="amanda", defaults={"email": "amanda@pledgeboard.local"})
        if Campaign.objects.filter(creator=creator).exists():
            return
        campaign = campaign_create(
            creator=creator,
            title="The new RECORD, ART BOOK, and TOUR",
            description="A new album, an art book to go with it, and a tour to play it.",
            goal=Decimal("100000"),
            currency="USD",
            deadline=timezone.now() + timedelta(days=30),
        )
        for title, minimum, limit in (
            ("Digital download", "1", None),
            ("CD and digital download", "25", None),
            ("Art book and vinyl", "50", 1000),
            ("House party and concert", "10000", 2),
        ):
            reward_create(campaign=campaign, title=title, minimum=Decimal(minimum), limit=limit)
        campaign_launch(campaign=campaign)
        self.stdout.write(f"Launched the sample campaign {campaign.pk}")
