from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from pledges.payments import get_gateway


class Command(BaseCommand):
    help = "Prepare the demo (idempotent): staff user `admin` and the localstripe webhook (campaigns: load_demo)."

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
