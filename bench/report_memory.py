"""Memory and time of streaming a large backer report (and writing it as a background export).

    .venv/bin/python -m devstack run --profile test -- \
        .venv/bin/python bench/report_memory.py --pledges 100000 10000

Bulk-inserts one campaign per size in the test profile's database (`bench_`
prefixed users; rows only, no Stripe: this measures the read path), then, for each,
runs a fresh Python process that streams GET /api/campaigns/{id}/backers.csv
through Django's test client and consumes it, reporting rows, bytes, seconds,
tracemalloc's peak (a second pass, since tracing slows Python down) and the
process's peak RSS (which includes Django and every import, about 100 MB); then
the same report written to a file by export_build. Rows are deleted afterwards
unless --keep. Run by hand; not part of the suite.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from campaigns.models import Campaign  # noqa: E402
from campaigns.services import campaign_create  # noqa: E402
from demo.services import launch_unattended  # noqa: E402
from pledges.models import Pledge  # noqa: E402
from reports.models import ExportJob  # noqa: E402
from rewards.services import reward_create  # noqa: E402

MB = 1024 * 1024


def build(size: int, stamp: int) -> int:
    User = get_user_model()
    creator = User.objects.create(username=f"bench_{stamp}_creator_{size}")
    campaign = campaign_create(
        creator=creator,
        title=f"Bench report {size}",
        goal=Decimal("100000"),
        currency="USD",
        deadline=timezone.now() + timezone.timedelta(days=30),
    )
    tier = reward_create(campaign=campaign, title="Signed vinyl", minimum=Decimal("25.00"), shipping=Decimal("7.50"))
    launch_unattended(campaign)
    unusable = make_password(None)
    users = User.objects.bulk_create(
        (User(username=f"bench_{stamp}_{size}_{i}", email=f"b{i}@example.com", password=unusable) for i in range(size)),
        batch_size=5000,
    )
    now = timezone.now()
    Pledge.objects.bulk_create(
        (
            Pledge(
                backer=user,
                campaign=campaign,
                reward=tier if i % 2 else None,
                amount=Decimal("25.00") + i % 100,
                state=Pledge.State.COLLECTED,
                activated_at=now,
                collected_at=now,
            )
            for i, user in enumerate(users)
        ),
        batch_size=5000,
    )
    return campaign.pk


def measure(campaign_id: int, traced: bool) -> dict:
    """In a fresh process: stream the report over the test client; optionally under tracemalloc."""
    campaign = Campaign.objects.get(pk=campaign_id)
    client = Client()
    client.force_login(campaign.creator)
    client.get(f"/api/campaigns/{campaign_id}/stats/")  # warm-up: imports, URL resolver
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    response = client.get(f"/api/campaigns/{campaign_id}/backers.csv", {"async": "0"})
    rows = size = 0
    for chunk in response.streaming_content:
        rows += chunk.count(b"\n")
        size += len(chunk)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if traced else None
    return {
        "rows": rows - 1,
        "bytes": size,
        "seconds": round(seconds, 2),
        "traced_peak_mb": None if peak is None else round(peak / MB, 2),
        "max_rss_mb": peak_rss_mb(),
    }


def peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the
    parent across fork and exec, so a child of the (large) building process would report its size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def export_file(campaign_id: int, media: str) -> dict:
    """The background export into the exports storage (``media``: unused, kept for the command
    line; exports live in object storage), deleted again after."""
    from reports.services import export_build, export_files_remove

    campaign = Campaign.objects.get(pk=campaign_id)
    job = ExportJob.objects.create(requested_by=campaign.creator, kind="backers", campaign=campaign)
    started = time.perf_counter()
    job = export_build(job_id=job.pk)
    seconds = time.perf_counter() - started
    export_files_remove(job)
    return {"export_seconds": round(seconds, 2), "export_rows": job.rows_done}


def child(*args: str) -> dict:
    output = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pledges", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--keep", action="store_true", help="leave the bench rows in the database")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--export", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        result = export_file(args.measure, args.export) if args.export else measure(args.measure, args.traced)
        print(json.dumps(result))
        return

    call_command("migrate", verbosity=0)
    stamp = int(time.time())
    campaign_ids = []
    try:
        for size in args.pledges:
            started = time.perf_counter()
            campaign_id = build(size, stamp)
            campaign_ids.append(campaign_id)
            print(f"built {size} pledges in {time.perf_counter() - started:.1f}s", flush=True)
            plain = child("--measure", str(campaign_id))
            traced = child("--measure", str(campaign_id), "--traced")
            exported = child("--measure", str(campaign_id), "--export", str(ROOT / "var" / "bench-media"))
            print(
                f"{plain['rows']:>7} rows, {plain['bytes'] / MB:6.1f} MB of CSV: streamed in {plain['seconds']}s"
                f" ({plain['rows'] / plain['seconds']:,.0f} rows/s), peak RSS {plain['max_rss_mb']} MB,"
                f" traced Python peak {traced['traced_peak_mb']} MB; export_build to a file"
                f" {exported['export_seconds']}s",
                flush=True,
            )
    finally:
        if not args.keep:
            campaigns = Campaign.objects.filter(pk__in=campaign_ids)
            ExportJob.objects.filter(campaign__in=campaigns).delete()
            Pledge.objects.filter(campaign__in=campaigns).delete()
            for campaign in campaigns:
                campaign.rewards.all().delete()
                creator = campaign.creator
                campaign.delete()
                creator.delete()
            get_user_model().objects.filter(username__startswith=f"bench_{stamp}_").delete()


if __name__ == "__main__":
    main()
