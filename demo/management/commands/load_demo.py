import time

from django.core.management.base import BaseCommand

from demo.services import load_demo


class Command(BaseCommand):
    help = (
        "Load the demo's campaigns (idempotent): Amanda Palmer's 2012 campaign with its 24,883 "
        "collected pledges, finished campaigns of others, and live ones (saved at localstripe)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-live", action="store_true", help="skip the live campaigns (they need localstripe)")

    def handle(self, *args, no_live: bool, **options):
        started = time.monotonic()
        loaded = load_demo(live=not no_live)
        for line in loaded:
            self.stdout.write(f"Loaded {line}")
        took = time.monotonic() - started
        self.stdout.write(f"Demo data {'loaded' if loaded else 'already there, nothing changed'} ({took:.1f}s)")
