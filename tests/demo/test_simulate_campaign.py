"""manage.py simulate_campaign, small: pledges over HTTP to a live server, a real worker and beat
close and collect, the summary adds up."""

import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

from campaigns.models import Campaign
from devstack.processes import beat_command
from pledges.models import Charge, Pledge
from tests.conftest import ROOT

pytestmark = [pytest.mark.celery, pytest.mark.timeout(180)]

BACKERS = 20


@pytest.fixture
def beat(worker_env, tmp_path):
    """Celery beat, sweeping for due campaigns every second."""
    process = subprocess.Popen(
        beat_command(python=sys.executable, schedule=str(tmp_path / "beat-schedule")),
        cwd=ROOT,
        env={**worker_env, "CLOSE_SWEEP_INTERVAL": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    yield process
    process.terminate()
    process.wait(timeout=30)


def test_a_small_replay_pledges_over_http_then_the_worker_closes_and_collects(
    live_server, celery_worker, beat, settings
):
    settings.CAMPAIGN_MIN_DURATION = timedelta(seconds=3)
    out = StringIO()

    call_command(
        "simulate_campaign",
        url=live_server.url,
        backers=BACKERS,
        # Time for the set-up (the campaign and its tiers over HTTP) and 20 pledges from 4 threads
        # before the deadline on a machine busy with the rest of the suite: at 8 s one came late.
        duration=12,
        declines=0.1,
        concurrency=4,
        timeout=90,
        verbosity=0,
        stdout=out,
    )

    campaign = Campaign.objects.get(title__startswith=f"Simulated: {BACKERS} backers")
    pledges = Pledge.objects.filter(campaign=campaign)
    assert campaign.state == Campaign.State.SUCCESSFUL
    assert campaign.backers_count == pledges.count() == BACKERS
    assert pledges.aggregate(total=Sum("amount"))["total"] == campaign.pledged
    # Two cards in ten decline when charged: the rest were collected, each exactly once.
    assert pledges.filter(state=Pledge.State.ERRORED).count() == 2
    collected = pledges.filter(state=Pledge.State.COLLECTED)
    assert collected.count() == BACKERS - 2
    succeeded = Charge.objects.filter(pledge__campaign=campaign, state=Charge.State.SUCCEEDED)
    assert succeeded.count() == BACKERS - 2
    assert succeeded.aggregate(total=Sum("amount"))["total"] == campaign.collected
    assert campaign.collected == collected.aggregate(total=Sum("amount"))["total"]
    # Her limited tiers, scaled down, were never oversold.
    for tier in campaign.rewards.exclude(limit=None):
        assert tier.pledges.count() <= tier.limit
    summary = dict(line.split(None, 1) for line in out.getvalue().splitlines() if line.strip())
    assert summary["backers"].startswith(str(BACKERS))
    assert summary["percent"] == f"{campaign.percent_funded:,}%"
    assert summary["collected"].startswith(f"${campaign.collected:,.2f} from {BACKERS - 2} pledges")
    assert summary["errored"] == "2"
    assert summary["dropped"] == "0"
    for name in ("pledged", "pledges/s", "charges/s", "time"):
        assert name in summary
    assert Decimal(summary["pledged"].split()[0].lstrip("$").replace(",", "")) == campaign.pledged
    assert summary["projected"].startswith("185,341 pledges at the limit of ")


@pytest.mark.parametrize(
    ("limit", "share", "measured", "expected"),
    [
        (
            25,
            0.6,
            20.0,
            "185,341 pledges at the limit of 25/s: 2 h 09 min alone (24/s), 3 h 26 min beside pledging (15/s); "
            "at the 20.0/s measured here 2 h 34 min",
        ),
        (
            100,
            0.6,
            0.0,
            "185,341 pledges at the limit of 100/s: 32 min 11 s alone (96/s), 51 min 29 s beside pledging (60/s); "
            "nothing collected here to measure",
        ),
    ],
)
def test_the_summary_projects_a_close_the_size_of_brandon_sandersons(limit, share, measured, expected, settings):
    from demo.management.commands.simulate_campaign import collection_projection

    settings.STRIPE_OPERATION_RATE_LIMIT, settings.STRIPE_BACKGROUND_SHARE = limit, share

    assert collection_projection(measured) == expected
