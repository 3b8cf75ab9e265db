"""The read figures measured inside one process, for a machine too busy for load tests.

    .venv/bin/python -m devstack run --profile test -- .venv/bin/python bench/inprocess_reads.py

Django's test client calls the whole stack (every middleware, the throttles on but high) in this
process: per request, the CPU time this process spends (time.process_time: what a core does
for one read, whatever else runs on the machine), the wall time, and the round trips to Redis.
Targets run in turns (rounds), so a change of the machine's load falls on all of them alike;
each figure is the median over the rounds. Ratios are against the bare raw-SQL view
(bench/urls.py), as in bench/run.py: > 1 is cheaper than the bare view.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.update(
    {
        "API_THROTTLE_ANON": "10000000/minute",
        "API_THROTTLE_USER": "10000000/minute",
        "DJANGO_DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
)

from bench.run import live_campaign, setup_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=300, help="per target and round")
    args = parser.parse_args()
    setup_django()
    import redis.connection
    from django.test import Client

    trips = [0]
    send = redis.connection.AbstractConnection.send_packed_command

    def counting(connection, command, check_health=True):
        trips[0] += 1
        return send(connection, command, check_health)

    redis.connection.AbstractConnection.send_packed_command = counting
    campaign = live_campaign("Bench in-process reads")
    client = Client(REMOTE_ADDR="127.0.0.9")
    drf = {"HTTP_ACCEPT": "application/json; q=0.9"}  # a JSON read the hot path leaves to DRF
    targets = {
        "bare": (f"/bench/bare/{campaign.pk}/", {}),
        "detail": (f"/api/campaigns/{campaign.pk}/", {}),
        "detail_through_drf": (f"/api/campaigns/{campaign.pk}/", drf),
        "list": ("/api/campaigns/", {}),
        "list_through_drf": ("/api/campaigns/", drf),
        "page": (f"/campaigns/{campaign.slug}/", {}),
    }
    per_round: dict[str, list[tuple[float, float, float]]] = {name: [] for name in targets}
    for path, headers in targets.values():  # warm: caches built, connections open
        for _ in range(20):
            assert client.get(path, **headers).status_code == 200
    for _ in range(args.rounds):
        for name, (path, headers) in targets.items():
            trips[0] = 0
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(args.requests):
                client.get(path, **headers)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            per_round[name].append((cpu / args.requests * 1000, wall / args.requests * 1000, trips[0] / args.requests))
    figures = {
        name: {
            "cpu_ms": statistics.median(r[0] for r in rounds),
            "wall_ms": statistics.median(r[1] for r in rounds),
            "redis_round_trips": statistics.median(r[2] for r in rounds),
        }
        for name, rounds in per_round.items()
    }
    bare = figures["bare"]
    for figure in figures.values():
        figure["cpu_ratio"] = bare["cpu_ms"] / figure["cpu_ms"]
        figure["wall_ratio"] = bare["wall_ms"] / figure["wall_ms"]
    print(f"{'target':<20} {'CPU ms':>8} {'wall ms':>8} {'Redis trips':>12} {'CPU ratio':>10} {'wall ratio':>10}")
    for name, f in figures.items():
        print(
            f"{name:<20} {f['cpu_ms']:>8.3f} {f['wall_ms']:>8.3f} {f['redis_round_trips']:>12.2f} "
            f"{f['cpu_ratio']:>10.2f} {f['wall_ratio']:>10.2f}"
        )
    out = ROOT / "var" / "bench" / "inprocess_reads.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
