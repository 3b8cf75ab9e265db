from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Prepare the demo: a staff user `admin` with the given password (idempotent)."

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
