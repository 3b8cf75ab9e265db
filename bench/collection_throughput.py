"""How many charges per second collection reaches against localstripe.

    .venv/bin/python -m devstack run --profile test -- \
        .venv/bin/python bench/collection_throughput.py --pledges 1000 --concurrency 4

Builds a funded campaign of N active pledges in the test profile's database
(`bench_` prefixed users), starts a real Celery worker, closes the campaign and
times the collection from the close to the last pledge collected. Run by hand;
not part of the suite.
"""

import argparse
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db.models import Count  # noqa: E402

from campaigns.models import Campaign  # noqa: E402
from campaigns.services import campaign_create  # noqa: E402
from closing.services import campaign_close_now  # noqa: E402
from config.celery_app import app  # noqa: E402
from demo.services import launch_unattended  # noqa: E402
from devstack.processes import celery_worker_command  # noqa: E402
from pledges.models import Pledge  # noqa: E402
from pledges.payments import get_gateway  # noqa: E402
from pledges.services import PledgeRequest, pledge_create  # noqa: E402
from tests.support.payments import card_payment_method, flush_localstripe  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pledges", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rate-limit", type=int, default=1000, help="STRIPE_RATE_LIMIT for the worker")
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    User = get_user_model()
    creator, _ = User.objects.get_or_create(username="bench_creator")
    campaign = campaign_create(
        creator=creator,
        title="Bench",
        goal=Decimal("100"),
        currency="USD",
        deadline=django.utils.timezone.now() + django.utils.timezone.timedelta(days=2),
    )
    launch_unattended(campaign)
    gateway = get_gateway()
    flush_localstripe(gateway)
    started = time.monotonic()
    stamp = int(time.time())
    for i in range(args.pledges):
        user = User.objects.create(username=f"bench_{stamp}_{i}", email=f"bench{i}@example.com")
        ask = PledgeRequest(
            campaign_id=campaign.pk,
            amount=Decimal("25.00"),
            payment_method_id=card_payment_method(gateway, "4242424242424242"),
        )
        pledge_create(backer=user, ask=ask)
    print(f"built {args.pledges} active pledges in {time.monotonic() - started:.1f}s")

    env = {**os.environ, "STRIPE_RATE_LIMIT": str(args.rate_limit), "DATABASE_CONN_MAX_AGE": "0"}
    worker = subprocess.Popen(
        celery_worker_command(
            queues=[queue.name for queue in settings.CELERY_TASK_QUEUES],
            pool="prefork",
            concurrency=args.concurrency,
            hostname=f"bench-{os.getpid()}@%h",
            python=sys.executable,
            loglevel="WARNING",
            extra=("--without-mingle", "--without-gossip"),
        ),
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        while not app.control.ping(timeout=0.5):
            time.sleep(0.2)
        started = time.monotonic()
        campaign_close_now(campaign_id=campaign.pk)
        while True:
            collected = Pledge.objects.filter(campaign=campaign, state=Pledge.State.COLLECTED).count()
            if collected == args.pledges:
                break
            time.sleep(0.2)
        elapsed = time.monotonic() - started
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    states = dict(Pledge.objects.filter(campaign=campaign).values_list("state").annotate(n=Count("id")))
    campaign = Campaign.objects.get(pk=campaign.pk)
    print(
        f"collected {args.pledges} pledges in {elapsed:.1f}s: {args.pledges / elapsed:.1f} charges/s "
        f"(concurrency {args.concurrency}, rate limit {args.rate_limit}/s); states {states}; "
        f"collected total {campaign.collected}"
    )


if __name__ == "__main__":
    main()
