"""The Stripe budget (STRIPE_RATE_LIMIT) is one count in Redis for every worker process: two
processes taking slots at once are granted at most the limit between them in each second.
(tests/closing/test_retries.py checks threads of one process.)"""

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A worker taking CALLS slots; it prints the second each slot was granted in, read as the
# limiter counts (microseconds after it read the clock for its window).
CHILD = """
import json
import time

import django

django.setup()
from pledges.payments import ratelimit

granted = []
count_hit = ratelimit.count_hit


def recording(key, window_seconds, **kwargs):
    second = int(time.time())
    hits = count_hit(key, window_seconds, **kwargs)
    if hits <= LIMIT:
        granted.append(second)
    return hits


ratelimit.count_hit = recording
for _ in range(CALLS):
    ratelimit.acquire_stripe_slot(limit=LIMIT, timeout=30)
print(json.dumps(granted))
"""


def test_two_processes_together_never_exceed_the_budget_in_a_second(settings):
    limit, calls = 3, 9  # alone, each process needs three seconds: they overlap
    code = CHILD.replace("LIMIT", str(limit)).replace("CALLS", str(calls))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "REDIS_URL": settings.REDIS_URL}
    children = [
        subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [child.communicate(timeout=90)[0] for child in children]

    assert [child.returncode for child in children] == [0, 0]
    per_second = Counter(second for output in outputs for second in json.loads(output))
    assert sum(per_second.values()) == 2 * calls
    assert max(per_second.values()) <= limit
    assert len(per_second) >= 2 * calls // limit  # 18 slots at 3 a second: six seconds at least
