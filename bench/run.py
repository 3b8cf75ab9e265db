"""make bench: each figure beside its baseline, measured in the same run, on this machine.

    .venv/bin/python -m devstack run --profile test -- .venv/bin/python bench/run.py [--only read,page,...]

Writes a table to stdout and ``var/bench/results.json``. Everything runs on 127.0.0.1,
each load bounded in time. It uses the database server and Redis it is given (a
database of its own, ``<name>_bench``, built on first use and kept: the 200,000-row
report data takes a while to write), and starts what it measures itself: gunicorn
(``config/gunicorn.py``, DEBUG off, throttles on but high), Celery workers, and a fresh
localstripe per measurement (its store slows as it grows, so each side of a comparison
gets an empty one), at 0 ms or at Stripe's real latency (``STRIPE_LATENCY_MS``).

Figures (ratios > 1 mean faster than the baseline, except export_ratio, a time ratio):

* read:   GET /api/campaigns/<id>/ against a bare Django view reading the campaign and
          its creator by raw SQL (bench/urls.py), same server, same connections;
* list:   GET /api/campaigns/ against the same bare view;
* page:   the campaign page /campaigns/<slug>/ against the same bare view;
* intake: POST /api/pledges/ with a saved card, 16 connections, against localstripe
          alone doing the same provider calls (Customer, SetupIntent created and confirmed)
          from 16 clients; and at 300 ms provider latency with 64 connections;
* collection: a campaign's collection by the collection worker (thread pool) against
          bare SDK charges from as many threads, same localstripe; and at 300 ms latency
          (48 threads), with the duplicates found at the provider;
* limits: a campaign's collection at 300 ms latency against Stripe's limits as localstripe
          emulates them (25 charges/s), with the app's own budget at its defaults: charges/s
          against the limit (and against background work's share of it), the 429s met, and
          the pledges errored or charged twice because of them.

The comparisons with a baseline (intake, collection) measure our overhead, not the provider's
limits: there both localstripe and the app run without them. Setting up cards and customers
lifts the emulator's limits for the while (they are not what is measured).
* export: the 200,000-row backer report streamed over HTTP against PostgreSQL's
          ``COPY (…) TO STDOUT`` of the same joined rows (each three times, alternately, the
          medians compared); and the serving process's peak RSS;
          the same report built in the background into object storage (the exports storage,
          devstack's S3 server), then downloaded through the view.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import load  # noqa: E402
from devstack.process import free_port, wait_for_port  # noqa: E402
from devstack.processes import web_command, worker_command  # noqa: E402

PYTHON = sys.executable
SECTIONS = ("read", "page", "intake", "calls", "collection", "limits", "export")
THROTTLE = "10000000/minute"  # throttles run (one round trip each) but never refuse
LATENCY_MS = 300
# Production's collection worker (processes.toml: queues, pool, prefetch), its threads split
# over one process per core (Python runs one thread at a time per process).
WORKER_PROCESSES = os.cpu_count() or 1
UNUSABLE = "!"  # a password Django never accepts: bench users cannot log in


# --- processes ----------------------------------------------------------------------------


@contextmanager
def process(command: list[str], env: dict[str, str], log: str, port: int | None = None):
    out = open(ROOT / "var" / "bench" / log, "ab")
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        if port:
            wait_for_port(port, timeout=30, what=log)
        yield child
    finally:
        child.terminate()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
        out.close()


# The app without a provider budget, for the comparisons of overhead with the bare SDK.
NO_LIMITS = {"STRIPE_RATE_LIMIT": "0", "STRIPE_OPERATION_RATE_LIMIT": "0"}


@contextmanager
def localstripe(latency_ms: int = 0, *, limits: bool = False):
    """A fresh localstripe; with ``limits``, Stripe's (100/s, 25/s per operation), else none."""
    port = free_port()
    command = [PYTHON, "-m", "devstack.localstripe_server", "--port", str(port), "--latency-ms", str(latency_ms)]
    env = dict(os.environ)
    if limits:
        env.pop("LOCALSTRIPE_RATE_LIMIT", None)
        env.pop("LOCALSTRIPE_OPERATION_RATE_LIMIT", None)
    else:
        env |= {"LOCALSTRIPE_RATE_LIMIT": "0", "LOCALSTRIPE_OPERATION_RATE_LIMIT": "0"}
    with process(command, env, "localstripe.log", port):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def limits_lifted(base: str):
    """The emulator without limits for a while (setting up), then back to what it had."""
    import requests

    config = f"{base}/_config/limits"
    before = requests.get(config, timeout=10).json()
    requests.post(config, json={"rate_limit": 0, "operation_rate_limit": 0}, timeout=10).raise_for_status()
    try:
        yield
    finally:
        kept = {name: before[name] for name in ("rate_limit", "operation_rate_limit")}
        requests.post(config, json=kept, timeout=10).raise_for_status()


def child_env(stripe: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "STRIPE_API_BASE": stripe,
        "DJANGO_DEBUG": "0",
        "API_THROTTLE_ANON": THROTTLE,
        "API_THROTTLE_USER": THROTTLE,
        "API_THROTTLE_PLEDGE": THROTTLE,
        "LOG_LEVEL": "WARNING",
        **extra,
    }


@contextmanager
def web(stripe: str, **extra: str):
    port = free_port()
    command = web_command(python=PYTHON, bind=f"127.0.0.1:{port}")
    with process(command, child_env(stripe, **extra), "web.log", port):
        base = f"http://127.0.0.1:{port}"
        load.run(load.get(f"{base}/api/campaigns/"), connections=4, seconds=1.5, ok=(200,))  # every worker up
        yield base


@contextmanager
def collection_worker(stripe: str, threads: int, processes: int | None = None, **extra: str):
    """``processes`` collection workers (one per core: Python runs one thread at a time per
    process) of ``threads // processes`` threads each: ``threads`` charges in flight in all."""
    from contextlib import ExitStack

    from config.celery_app import app

    processes = processes or WORKER_PROCESSES
    app.control.purge()
    with ExitStack() as stack:
        names = []
        for n in range(processes):
            name = f"bench{n}-{os.getpid()}-{time.monotonic_ns()}@{socket.gethostname()}"
            command = worker_command(
                "collection",
                python=PYTHON,
                hostname=name,
                concurrency=max(1, threads // processes),
                loglevel="WARNING",
                extra=("--without-mingle", "--without-gossip"),
            )
            stack.enter_context(process(command, child_env(stripe, **extra), "worker.log"))
            names.append(name)
        deadline = time.monotonic() + 60
        while len(app.control.ping(destination=names, timeout=0.5)) < len(names):
            if time.monotonic() > deadline:
                raise RuntimeError("the collection workers did not start (var/bench/worker.log)")
        yield
    app.control.purge()


# --- data ---------------------------------------------------------------------------------


def setup_django() -> None:
    url = urlsplit(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/") or "pledgeboard"
    bench_db = f"{name}_bench" if not name.endswith("_bench") else name
    import psycopg

    admin = urlunsplit(url._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [bench_db]).fetchone():
            connection.execute(f'CREATE DATABASE "{bench_db}"')
    os.environ["DATABASE_URL"] = urlunsplit(url._replace(path=f"/{bench_db}"))
    os.environ.setdefault("PLEDGEBOARD_PROFILE", "bench")
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def users_with_tokens(prefix: str, count: int) -> list[tuple[int, str]]:
    from django.contrib.auth import get_user_model

    from accounts.tokens import tokens_issue_many

    User = get_user_model()
    stamp = f"{prefix}-{time.time_ns()}"
    users = User.objects.bulk_create(
        (User(username=f"{stamp}-{n}", email=f"{stamp}-{n}@example.com", password=UNUSABLE) for n in range(count)),
        batch_size=2000,
    )
    tokens = tokens_issue_many(users=users)
    return [(user.pk, token) for user, token in zip(users, tokens, strict=True)]


def live_campaign(title: str, tiers: int = 2):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from campaigns.services import campaign_create
    from demo.services import launch_unattended
    from rewards.services import reward_create

    creator = get_user_model().objects.create(username=f"bench-creator-{time.time_ns()}")
    campaign = campaign_create(
        creator=creator,
        title=title,
        goal=Decimal("100000"),
        currency="USD",
        deadline=timezone.now() + timezone.timedelta(days=30),
        description="A campaign for the benchmark.",
    )
    for n in range(tiers):
        reward_create(campaign=campaign, title=f"Tier {n}", minimum=Decimal(25 * (n + 1)), limit=None)
    return launch_unattended(campaign)  # with production's rules: second factor, payouts, review


async def _stripe_calls(base: str, count: int, concurrency: int, make) -> list:
    """``make(session, n)`` for n in range(count), ``concurrency`` at a time, against localstripe."""
    import aiohttp

    results: list = [None] * count
    queue = iter(range(count))
    auth = aiohttp.BasicAuth("sk_test_bench", "")

    async def client(session):
        for n in queue:
            results[n] = await make(session, n)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(base, connector=connector, auth=auth) as session:
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
    return results


async def _post(session, path: str, data: dict) -> dict:
    async with session.post(path, data=data) as response:
        body = await response.json()
        if response.status >= 400:
            raise RuntimeError(f"{path}: {response.status} {body}")
        return body


CARD = {"type": "card", "card[number]": "4242424242424242", "card[exp_month]": "12", "card[exp_year]": "2030"}
CARD["card[cvc]"] = "123"


def cards(base: str, count: int, concurrency: int = 32) -> list[str]:
    async def make(session, n):
        return (await _post(session, "/v1/payment_methods", CARD))["id"]

    with limits_lifted(base):
        return asyncio.run(_stripe_calls(base, count, concurrency, make))


def customers_with_cards(base: str, count: int, concurrency: int = 32) -> list[tuple[str, str]]:
    """A Customer and a saved card (a confirmed SetupIntent) each, as a pledge leaves them."""

    async def make(session, n):
        customer = (await _post(session, "/v1/customers", {"email": f"c{n}@example.com"}))["id"]
        card = (await _post(session, "/v1/payment_methods", CARD))["id"]
        setup = await _post(
            session,
            "/v1/setup_intents",
            {"customer": customer, "usage": "off_session", "payment_method_types[]": "card"},
        )
        await _post(session, f"/v1/setup_intents/{setup['id']}/confirm", {"payment_method": card})
        return customer, card

    with limits_lifted(base):
        return asyncio.run(_stripe_calls(base, count, concurrency, make))


# --- measurements -------------------------------------------------------------------------


def measure_reads(results: dict, seconds: float) -> None:
    campaign = live_campaign("Bench reads")
    with localstripe() as stripe, web(stripe) as base:
        bare = load.run(load.get(f"{base}/bench/bare/{campaign.pk}/"), connections=16, seconds=seconds, warmup=1)
        detail = load.run(load.get(f"{base}/api/campaigns/{campaign.pk}/"), connections=16, seconds=seconds, warmup=1)
        listing = load.run(load.get(f"{base}/api/campaigns/"), connections=16, seconds=seconds, warmup=1)
        page = load.run(load.get(f"{base}/campaigns/{campaign.slug}/"), connections=16, seconds=seconds, warmup=1)
    results["read_ratio"] = detail.rate / bare.rate
    results["list_ratio"] = listing.rate / bare.rate
    results["page_ratio"] = page.rate / bare.rate
    results["table"] += [
        ("bare raw-SQL view (baseline)", bare.describe(), ""),
        ("GET /api/campaigns/<id>/", detail.describe(), f"{results['read_ratio']:.2f}x"),
        ("GET /api/campaigns/", listing.describe(), f"{results['list_ratio']:.2f}x"),
        ("campaign page", page.describe(), f"{results['page_ratio']:.2f}x"),
    ]


def pledge_requests(base: str, campaign_id: int, reward_id: int, backers: list[tuple[int, str]], pms: list[str]):
    async def request(session, n):
        body = {"campaign": campaign_id, "reward": reward_id, "amount": "25.00", "payment_method": pms[n]}
        headers = {"Authorization": f"Token {backers[n][1]}"}
        async with session.post(f"{base}/api/pledges/", json=body, headers=headers) as response:
            await response.read()
            return response.status

    return request


def measure_intake(base_stripe: str, base: str, count: int, connections: int, seconds: float) -> load.Result:
    campaign = live_campaign("Bench intake")
    reward = campaign.rewards.order_by("minimum").first()
    backers = users_with_tokens("intake", count)
    pms = cards(base_stripe, count)
    request = pledge_requests(base, campaign.pk, reward.pk, backers, pms)
    return load.run(request, connections=connections, seconds=seconds, requests=count, ok=(201,))


def measure_provider_alone(stripe: str, count: int, clients: int, seconds: float) -> load.Result:
    """The provider-only bound: the calls a pledge makes (Customer, SetupIntent created and
    confirmed) through the same SDK our server uses, from ``clients`` threads of one process,
    nothing else."""
    from concurrent.futures import ThreadPoolExecutor

    import stripe as sdk

    pms = cards(stripe, count)
    client = sdk.StripeClient(
        "sk_test_bench", base_addresses={"api": stripe}, max_network_retries=0, http_client=sdk.RequestsClient()
    )
    result = load.Result()
    stop_at = time.monotonic() + seconds

    def pledge_calls(n: int) -> None:
        if time.monotonic() > stop_at:
            return
        sent = time.monotonic()
        customer = client.v1.customers.create(params={"email": f"p{n}@example.com"})
        params = {"customer": customer.id, "usage": "off_session", "payment_method_types": ["card"]}
        confirmed = client.v1.setup_intents.create(params=params | {"payment_method": pms[n], "confirm": True})
        assert confirmed.status == "succeeded"
        result.latencies.append(time.monotonic() - sent)
        result.count += 1

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(pledge_calls, range(count)))
    result.seconds = time.monotonic() - started
    return result


def provider_calls_of_pledges(stripe: str) -> tuple[int, int]:
    """Provider calls the server makes for a new backer's API pledge and a returning backer's,
    counted at the emulator (the card is saved in the browser first: not counted)."""
    import requests
    from django.test import Client

    def calls() -> int:
        counted = requests.get(f"{stripe}/_config/limits", timeout=10).json()["calls"]
        return sum(counted.values())

    (_, token), *_ = users_with_tokens("calls", 1)
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    counts = []
    for title in ("Bench calls, first", "Bench calls, second"):
        campaign = live_campaign(title)
        (card,) = cards(stripe, 1)
        before = calls()
        response = client.post(
            "/api/pledges/", {"campaign": campaign.pk, "amount": "25.00", "payment_method": card}, "application/json"
        )
        assert response.status_code == 201, response.content
        counts.append(calls() - before)
    return counts[0], counts[1]


def pledge_overhead(stripe: str, count: int) -> list[float]:
    """Seconds per API pledge spent outside the provider's HTTP calls: the whole request through
    Django in this process (no network between client and server) less the time each provider
    call took, one pledge after another, without limits (no wait for a slot either)."""
    import threading

    import stripe as sdk
    from django.test import Client

    waiting = threading.local()
    original = sdk.RequestsClient.request

    def timed(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            waiting.seconds = getattr(waiting, "seconds", 0.0) + time.perf_counter() - started

    campaign = live_campaign("Bench overhead")
    backers = users_with_tokens("overhead", count)
    pms = cards(stripe, count)
    overheads = []
    client = Client()  # one handler, its middleware loaded once, as in a server's process
    client.get("/api/campaigns/")
    sdk.RequestsClient.request = timed
    try:
        for (_, token), card in zip(backers, pms, strict=True):
            waiting.seconds = 0.0
            started = time.perf_counter()
            body = {"campaign": campaign.pk, "amount": "25.00", "payment_method": card}
            response = client.post("/api/pledges/", body, "application/json", HTTP_AUTHORIZATION=f"Token {token}")
            elapsed = time.perf_counter() - started
            assert response.status_code == 201, response.content
            overheads.append(elapsed - waiting.seconds)
    finally:
        sdk.RequestsClient.request = original
    return overheads


def measure_calls_and_overhead(results: dict, count: int) -> None:
    """In this process, against the test services' localstripe with its limits lifted and the
    app's budget off (settings changed here only)."""
    from django.conf import settings

    settings.STRIPE_RATE_LIMIT = settings.STRIPE_OPERATION_RATE_LIMIT = 0  # read at each call
    stripe = settings.STRIPE_API_BASE.rstrip("/")
    with limits_lifted(stripe):
        new, returning = provider_calls_of_pledges(stripe)
        overheads = sorted(pledge_overhead(stripe, count))
    median = overheads[len(overheads) // 2] * 1000
    results["provider_calls_per_new_pledge"] = new
    results["provider_calls_per_returning_pledge"] = returning
    results["pledge_overhead_ms_p50"] = median
    results["table"] += [
        ("provider calls per API pledge, new / returning backer", f"{new} / {returning}", "target <= 2 / <= 1"),
        (
            f"server time per pledge outside the provider, {count} pledges in-process",
            f"p50 {median:.1f} ms, p90 {overheads[int(len(overheads) * 0.9)] * 1000:.1f} ms",
            "target p50 <= 10 ms",
        ),
    ]


def measure_intake_all(results: dict, seconds: float, count: int) -> None:
    with localstripe() as stripe:
        alone = measure_provider_alone(stripe, count, 16, seconds)
    with localstripe() as stripe, web(stripe, **NO_LIMITS) as base:
        ours = measure_intake(stripe, base, count, 16, seconds)
    with localstripe(LATENCY_MS) as stripe, web(stripe, **NO_LIMITS) as base:
        slow = measure_intake(stripe, base, count, 64, seconds * 1.5)
    results["intake_ratio"] = ours.rate / alone.rate
    results["intake_latency_pledges_per_s"] = slow.rate
    results["intake_latency_p99_ms"] = slow.percentile(0.99) * 1000
    results["table"] += [
        ("provider alone, SDK from 16 threads (baseline)", alone.describe(), ""),
        ("POST /api/pledges/, 16 connections", ours.describe(), f"{results['intake_ratio']:.2f}x"),
        (f"POST /api/pledges/ at {LATENCY_MS} ms, 64 connections", slow.describe(), ""),
    ]


def successful_campaign_with_active_pledges(saved: list[tuple[str, str]]) -> int:
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from campaigns.models import Campaign
    from core.bulk import copy_insert, reserve_ids
    from pledges.models import Pledge

    now = timezone.now()
    User = get_user_model()
    with transaction.atomic():
        creator = User.objects.create(username=f"bench-creator-{time.time_ns()}")
        campaign = Campaign.objects.create(
            creator=creator,
            title="Bench collection",
            slug=f"bench-collection-{time.time_ns()}",
            goal=Decimal("100"),
            currency="USD",
            state=Campaign.State.SUCCESSFUL,
            deadline=now,
            launched_at=now - timezone.timedelta(days=1),
            closed_at=now,
            pledged=Decimal("25.00") * len(saved),
            backers_count=len(saved),
        )
        user_ids = reserve_ids(User, len(saved))
        copy_insert(User, ({"id": uid, "username": f"bench-c-{uid}", "password": "!"} for uid in user_ids))
        copy_insert(
            Pledge,
            (
                {
                    "id": pid,
                    "backer_id": uid,
                    "campaign_id": campaign.pk,
                    "amount": Decimal("25.00"),
                    "state": Pledge.State.ACTIVE,
                    "stripe_customer_id": customer,
                    "payment_method_id": card,
                    "created_at": now,
                    "updated_at": now,
                    "activated_at": now,
                }
                for pid, uid, (customer, card) in zip(reserve_ids(Pledge, len(saved)), user_ids, saved, strict=True)
            ),
        )
    return campaign.pk


def collect(stripe: str, count: int, concurrency: int, during=None, **extra: str) -> tuple[float, int]:
    """Seconds from sending the campaign's collection to its last pledge settled; charges made.
    ``extra``: the collection workers' environment (the provider budget: NO_LIMITS, or none for
    the defaults). ``during(stop)``, if given, runs in a thread from the start of the collection;
    ``stop`` is set when the collection is over, and the thread is waited for."""
    import threading

    from django.db.models import Count

    from config.celery_app import app
    from pledges.models import Pledge

    saved = customers_with_cards(stripe, count, concurrency=64)
    campaign_id = successful_campaign_with_active_pledges(saved)
    pledges = Pledge.objects.filter(campaign_id=campaign_id)
    stop = threading.Event()
    beside = threading.Thread(target=during, args=(stop,)) if during else None
    with collection_worker(stripe, concurrency, **extra):
        started = time.monotonic()
        app.send_task("closing.tasks.collect_campaign", (campaign_id,))
        if beside:
            beside.start()
        deadline = started + max(300, count / 4)
        while pledges.filter(state=Pledge.State.ACTIVE).exists():
            if time.monotonic() > deadline:
                states = dict(pledges.values_list("state").annotate(n=Count("pk")).order_by())
                raise RuntimeError(f"collection did not finish in {deadline - started:.0f} s: {states}")
            time.sleep(0.05)
        seconds = time.monotonic() - started
        stop.set()
        if beside:
            beside.join()
    return seconds, pledges.filter(state=Pledge.State.COLLECTED).count()


def bare_charges(stripe: str, count: int, threads: int) -> float:
    """Off-session charges straight from the SDK, ``threads`` at a time: charges per second."""
    from concurrent.futures import ThreadPoolExecutor

    import stripe as sdk

    saved = customers_with_cards(stripe, count, concurrency=64)
    client = sdk.StripeClient(
        "sk_test_bench", base_addresses={"api": stripe}, max_network_retries=0, http_client=sdk.RequestsClient()
    )

    def charge(pair):
        customer, card = pair
        params = {"amount": 2500, "currency": "usd", "customer": customer, "payment_method": card}
        params |= {"payment_method_types": ["card"], "off_session": True, "confirm": True}
        return client.v1.payment_intents.create(params=params).status

    started = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        statuses = list(pool.map(charge, saved))
    assert statuses.count("succeeded") == count
    return count / (time.monotonic() - started)


def provider_duplicates(stripe: str) -> tuple[int, int]:
    """PaymentIntents at the provider, and how many pledges were charged more than once there."""
    import stripe as sdk

    client = sdk.StripeClient("sk_test_bench", base_addresses={"api": stripe}, http_client=sdk.RequestsClient())
    per_pledge: dict[str, int] = {}
    total = 0
    for intent in client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter():
        intent = intent.to_dict()
        if intent["status"] == "succeeded":
            pledge = (intent.get("metadata") or {}).get("pledge_id")
            per_pledge[pledge] = per_pledge.get(pledge, 0) + 1
            total += 1
    return total, sum(1 for n in per_pledge.values() if n > 1)


def measure_collection(results: dict, count: int, slow_count: int, threads: int) -> None:
    with localstripe() as stripe:
        bare = bare_charges(stripe, count, threads)
    with localstripe() as stripe:
        seconds, charged = collect(stripe, count, threads, **NO_LIMITS)
    ours = charged / seconds
    print(f"collection at 0 ms: bare {bare:.1f}/s, ours {ours:.1f}/s", file=sys.stderr, flush=True)
    with localstripe(LATENCY_MS) as stripe:
        bare_slow = bare_charges(stripe, count, 48)
    with localstripe(LATENCY_MS) as stripe:
        slow_seconds, slow_charged = collect(stripe, slow_count, 48, **NO_LIMITS)
        intents, duplicated = provider_duplicates(stripe)
    slow = slow_charged / slow_seconds
    results["collection_ratio"] = ours / bare
    results["collection_latency_charges_per_s"] = slow
    results["collection_latency_duplicates"] = duplicated
    results["collection_latency_bare_sdk_charges_per_s"] = bare_slow
    workers = f"in {WORKER_PROCESSES} workers"
    results["table"] += [
        (f"bare SDK charges, {threads} threads (baseline)", f"{bare:,.1f}/s ({count})", ""),
        (
            f"collection, {threads} threads {workers}",
            f"{ours:,.1f}/s ({charged} in {seconds:.1f}s)",
            f"{ours / bare:.2f}x",
        ),
        (f"bare SDK charges at {LATENCY_MS} ms, 48 threads (reference)", f"{bare_slow:,.1f}/s ({count})", ""),
        (
            f"collection at {LATENCY_MS} ms, no rate limit, 48 threads {workers}",
            f"{slow:,.1f}/s ({slow_charged} in {slow_seconds:.1f}s; {intents} charges at the provider, "
            f"{duplicated} pledges charged twice)",
            "",
        ),
    ]


class NewBackers:
    """New backers ready to pledge to a live campaign over the API, each with a card saved in the
    browser (a PaymentMethod); ``request`` pledges the n-th. ``settled()`` checks that every
    pledge the server answered 201 to is active, and no other was written."""

    def __init__(self, stripe: str, base: str, count: int, title: str) -> None:
        self.campaign = live_campaign(title)
        reward = self.campaign.rewards.order_by("minimum").first()
        backers = users_with_tokens(title.lower().replace(" ", "-"), count)
        self.request = pledge_requests(base, self.campaign.pk, reward.pk, backers, cards(stripe, count))

    def settled(self, answered: int) -> int:
        """Pledges written that the backer was not told of, or told of and not written."""
        from pledges.models import Pledge

        written = Pledge.objects.filter(campaign=self.campaign, state=Pledge.State.ACTIVE).count()
        return abs(written - answered)


def measure_limits(results: dict, count: int, intake_rate: float = 10.0, burst_seconds: float = 20.0) -> None:
    """Collection of ``count`` pledges at 300 ms against Stripe's emulated limits, the app's budget at
    its defaults (STRIPE_OPERATION_RATE_LIMIT 25, STRIPE_BACKGROUND_SHARE 0.6): 48 threads."""
    import requests
    from django.conf import settings

    with localstripe(LATENCY_MS, limits=True) as stripe:
        seconds, charged = collect(stripe, count, 48)
        refused = requests.get(f"{stripe}/_config/limits", timeout=10).json()["rate_limited"]
        with limits_lifted(stripe):
            intents, duplicated = provider_duplicates(stripe)
    limit = 25  # localstripe's default per operation, Stripe's
    share = limit * settings.STRIPE_BACKGROUND_SHARE
    rate = charged / seconds
    results["collection_limit_charges_per_s"] = rate
    results["collection_limit_ratio"] = rate / limit
    results["collection_limit_ratio_of_background_share"] = rate / share
    results["collection_limit_429s"] = sum(refused.values())
    results["collection_429_failures"] = (count - charged) + duplicated
    results["table"] += [
        (
            f"collection at {LATENCY_MS} ms against Stripe's limit ({limit}/s), background share {share:g}/s",
            f"{rate:,.1f}/s ({charged} of {count} in {seconds:.1f}s; 429s met: {refused or 0}; "
            f"{count - charged} not collected, {duplicated} charged twice; {intents} at the provider)",
            f"{rate / limit:.2f}x the limit, {rate / share:.2f}x the share",
        ),
    ]
    measure_intake_at_limits(results, count, intake_rate, burst_seconds)


def measure_intake_at_limits(results: dict, count: int, intake_rate: float, burst_seconds: float) -> None:
    """New backers pledging through the web (the app's budget at its defaults) against Stripe's
    emulated limits at 300 ms: ``intake_rate`` a second, open loop, while a collection of ``count``
    runs; then a burst from 64 connections, nothing else running."""
    import requests

    with localstripe(LATENCY_MS, limits=True) as stripe, web(stripe) as base:
        # Enough for the collection at 15/s, and a minute more.
        steady = NewBackers(stripe, base, int(intake_rate * (count / 15 + 60)), "Bench intake during collection")
        during: dict = {}

        def intake(stop) -> None:
            during["result"] = load.run_open(
                steady.request, rate=intake_rate, seconds=max(300, count / 4), ok=(201,), stop=stop
            )

        seconds, charged = collect(stripe, count, 48, during=intake)
        result = during["result"]
        burst_backers = NewBackers(stripe, base, int(64 * burst_seconds), "Bench intake burst")
        burst = load.run(burst_backers.request, connections=64, seconds=burst_seconds, ok=(201,))
        refused = requests.get(f"{stripe}/_config/limits", timeout=10).json()["rate_limited"]
    results["intake_p99_during_collection_ms"] = result.percentile(0.99) * 1000
    results["intake_backer_429s"] = result.errors + steady.settled(result.count)
    results["intake_during_collection_charges_per_s"] = charged / seconds
    results["intake_burst_pledges_per_s"] = burst.rate
    results["intake_burst_lost"] = burst_backers.settled(burst.count)
    results["intake_burst_failed"] = burst.errors
    results["table"] += [
        (
            f"POST /api/pledges/ from new backers at {intake_rate:g}/s (open loop) during that collection",
            f"{result.describe()}; statuses {result.statuses}; collection meanwhile {charged / seconds:.1f}/s",
            f"p99 {result.percentile(0.99) * 1000:.0f} ms (target < 1,500)",
        ),
        (
            "POST /api/pledges/ burst, 64 connections, Stripe's limits (25/s per operation)",
            f"{burst.describe()}; statuses {burst.statuses}; 429s at the emulator {refused or 0}",
            f"{burst.rate / 25:.2f}x the per-operation limit",
        ),
    ]


# --- export -------------------------------------------------------------------------------

# v2: with a survey of three questions, half the backers' answers and addresses, a third shipped.
EXPORT_SLUG = "bench-export-v2-{rows}"

COPY_SQL = """
COPY (
  SELECT p.id, p.backer_id, u.first_name, u.last_name, u.username, u.email, p.reward_id, r.title, r.minimum,
         p.amount, p.shipping_amount, p.shipping_country, c.currency, p.created_at, p.state, p.collected_at,
         coalesce(ch.refunded_amount, 0), f.status, sr.updated_at, sr.name, sr.address1, sr.address2, sr.city,
         sr.state, sr.postal_code, sr.country, sr.phone, sr.answers
    FROM pledges_pledge p
    JOIN auth_user u ON u.id = p.backer_id
    JOIN campaigns_campaign c ON c.id = p.campaign_id
    LEFT JOIN rewards_rewardtier r ON r.id = p.reward_id
    LEFT JOIN pledges_charge ch ON ch.pledge_id = p.id AND ch.state = 'succeeded'
    LEFT JOIN fulfilment_fulfilment f ON f.pledge_id = p.id
    LEFT JOIN fulfilment_surveyresponse sr ON sr.pledge_id = p.id
   WHERE p.campaign_id = {campaign_id}
   ORDER BY p.created_at, p.id
) TO STDOUT WITH (FORMAT csv, HEADER)
"""


def export_campaign(rows: int) -> int:
    """A successful campaign of ``rows`` collected pledges, made once and kept between runs."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from campaigns.models import Campaign
    from core.bulk import copy_insert, reserve_ids
    from fulfilment.models import Fulfilment, Survey, SurveyQuestion, SurveyResponse
    from pledges.models import Pledge
    from rewards.models import RewardTier

    slug = EXPORT_SLUG.format(rows=rows)
    existing = Campaign.objects.filter(slug=slug).first()
    if existing:
        return existing.pk
    now = timezone.now()
    User = get_user_model()
    with transaction.atomic():
        creator = User.objects.create(username=f"bench-export-creator-{rows}")
        campaign = Campaign.objects.create(
            creator=creator,
            title=f"Bench export {rows}",
            slug=slug,
            goal=Decimal("100"),
            currency="USD",
            state=Campaign.State.SUCCESSFUL,
            deadline=now,
            launched_at=now - timezone.timedelta(days=30),
            closed_at=now,
        )
        tier = RewardTier.objects.create(campaign=campaign, title="=Signed vinyl", minimum=Decimal("25"))
        user_ids = reserve_ids(User, rows)
        copy_insert(
            User,
            (
                {"id": uid, "username": f"bench-x-{uid}", "first_name": "Ada" if n % 3 else "@Ada", "password": "!"}
                | {"last_name": "Lovelace", "email": f"x{uid}@example.com"}
                for n, uid in enumerate(user_ids)
            ),
        )
        pledge_ids = reserve_ids(Pledge, rows)
        copy_insert(
            Pledge,
            (
                {
                    "id": pid,
                    "backer_id": uid,
                    "campaign_id": campaign.pk,
                    "reward_id": tier.pk if n % 2 else None,
                    "amount": Decimal("25.00") + n % 100,
                    "state": Pledge.State.COLLECTED,
                    "created_at": now - timezone.timedelta(seconds=rows - n),
                    "updated_at": now,
                    "activated_at": now,
                    "collected_at": now,
                }
                for n, (pid, uid) in enumerate(zip(pledge_ids, user_ids, strict=True))
            ),
        )
        survey = Survey.objects.create(campaign=campaign, lock_at=now, sent_at=now, state=Survey.State.SENT)
        asked = [
            SurveyQuestion.objects.create(survey=survey, position=1, kind="text", prompt="Name for the credits"),
            SurveyQuestion.objects.create(survey=survey, position=2, kind="choice", prompt="Size", choices=["S", "M"]),
            SurveyQuestion.objects.create(
                survey=survey, position=3, kind="choices", prompt="Extras", choices=["A", "B"], required=False
            ),
        ]
        answers = {str(asked[0].pk): "=Ada", str(asked[1].pk): "M", str(asked[2].pk): ["A", "B"]}
        address = {"name": "Ada Lovelace", "address1": "Unter den Linden 1", "city": "Berlin", "country": "DE"}
        copy_insert(
            SurveyResponse,
            (
                {"id": rid, "survey_id": survey.pk, "pledge_id": pid, "answers": answers, "postal_code": "10117"}
                | address
                | {"submitted_at": now, "updated_at": now}
                for rid, pid in zip(reserve_ids(SurveyResponse, len(pledge_ids[::2])), pledge_ids[::2], strict=True)
            ),
        )
        copy_insert(
            Fulfilment,
            (
                {"id": fid, "pledge_id": pid, "status": "shipped", "carrier": "DHL", "tracking_number": f"T{pid}"}
                | {"shipped_at": now, "updated_at": now}
                for fid, pid in zip(reserve_ids(Fulfilment, len(pledge_ids[::3])), pledge_ids[::3], strict=True)
            ),
        )
    return campaign.pk


def measure_export(results: dict, rows: int) -> None:
    from django.db import connection

    campaign_id = export_campaign(rows)
    connection.close()

    def child(option: str) -> dict:
        return json.loads(subprocess.check_output([PYTHON, __file__, option, str(campaign_id)], cwd=ROOT))

    # Each side EXPORT_ROUNDS times, alternately, each in a fresh process; the median of each. One
    # run of either moves by a third from one run to the next on this shared machine.
    runs = [(child("--export-child"), child("--copy-child")) for _ in range(EXPORT_ROUNDS)]
    ours = _median_run([report for report, _ in runs])
    copy = _median_run([baseline for _, baseline in runs])
    results["export_ratio_runs"] = [round(report["seconds"] / baseline["seconds"], 2) for report, baseline in runs]
    stored = json.loads(
        subprocess.check_output([PYTHON, __file__, "--stored-export-child", str(campaign_id)], cwd=ROOT)
    )
    results["export_ratio"] = ours["seconds"] / copy["seconds"]
    results["export_rss_mb"] = ours["rss_mb"]
    results["export_stored_ratio"] = stored["seconds"] / copy["seconds"]
    results["export_stored_rss_mb"] = stored["rss_mb"]
    results["export_stored_download_s"] = stored["download_seconds"]
    results["table"] += [
        (
            f"PostgreSQL COPY of the joined rows, {rows:,} (baseline, median of {EXPORT_ROUNDS})",
            f"{copy['seconds']:.2f}s",
            f"each round: {', '.join(f'{ratio:.2f}x' for ratio in results['export_ratio_runs'])}",
        ),
        (
            f"backer report through Django (test client), {rows:,} rows (median of {EXPORT_ROUNDS})",
            f"{ours['seconds']:.2f}s, {ours['bytes'] / 2**20:.1f} MB, peak RSS {ours['rss_mb']:.0f} MB",
            f"{results['export_ratio']:.2f}x the time",
        ),
        (
            "the same built in the background into object storage (S3)",
            f"{stored['seconds']:.2f}s, {stored['bytes'] / 2**20:.1f} MB, peak RSS {stored['rss_mb']:.0f} MB",
            f"{results['export_stored_ratio']:.2f}x the time",
        ),
        (
            "its download streamed from object storage (test client)",
            f"{stored['download_seconds']:.2f}s, peak RSS {stored['download_rss_mb']:.0f} MB",
            "",
        ),
    ]


EXPORT_ROUNDS = 3


def _median_run(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def export_child(campaign_id: int) -> None:
    """In a fresh process: the report streamed through the whole Django stack, consumed."""
    from django.test import Client

    from campaigns.models import Campaign

    campaign = Campaign.objects.get(pk=campaign_id)
    client = Client()
    client.force_login(campaign.creator)
    client.get(f"/api/campaigns/{campaign_id}/stats/")  # imports, URL resolver
    started = time.perf_counter()
    response = client.get(f"/api/campaigns/{campaign_id}/backers.csv", {"async": "0"})
    assert response.status_code == 200, response.status_code
    size = sum(len(chunk) for chunk in response.streaming_content)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "bytes": size, "rss_mb": peak_rss_mb()}))


def stored_export_child(campaign_id: int) -> None:
    """In a fresh process: the background export (what the exports worker runs) written to the
    exports storage, then downloaded through the view as the requester would, and deleted."""
    from django.test import Client

    from campaigns.models import Campaign
    from reports.models import ExportJob
    from reports.services import export_build, export_create, export_files_remove

    campaign = Campaign.objects.get(pk=campaign_id)
    job = export_create(requested_by=campaign.creator, kind=ExportJob.Kind.BACKERS, campaign=campaign)
    started = time.perf_counter()
    job = export_build(job_id=job.pk)
    seconds = time.perf_counter() - started
    assert job.state == ExportJob.State.DONE, job.error
    build_rss = peak_rss_mb()
    client = Client()
    client.force_login(campaign.creator)
    started = time.perf_counter()
    response = client.get(f"/api/exports/{job.pk}/download/")
    assert response.status_code == 200, response.status_code
    size = sum(len(chunk) for chunk in response.streaming_content)
    download_seconds = time.perf_counter() - started
    export_files_remove(job)
    job.delete()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "bytes": size,
                "rss_mb": build_rss,
                "download_seconds": download_seconds,
                "download_rss_mb": peak_rss_mb(),
            }
        )
    )


def copy_child(campaign_id: int) -> None:
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"]) as connection, connection.cursor() as cursor:
        started = time.perf_counter()
        size = 0
        with cursor.copy(COPY_SQL.format(campaign_id=int(campaign_id))) as copy:
            for block in copy:
                size += len(block)
        seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "bytes": size}))


# --- main ---------------------------------------------------------------------------------

KEYS = (
    "read_ratio",
    "page_ratio",
    "intake_ratio",
    "intake_latency_pledges_per_s",
    "provider_calls_per_new_pledge",
    "provider_calls_per_returning_pledge",
    "pledge_overhead_ms_p50",
    "collection_ratio",
    "collection_latency_charges_per_s",
    "collection_limit_ratio",
    "collection_429_failures",
    "intake_p99_during_collection_ms",
    "intake_backer_429s",
    "intake_burst_pledges_per_s",
    "export_ratio",
    "export_rss_mb",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated: {', '.join(SECTIONS)}")
    parser.add_argument("--seconds", type=float, default=8.0, help="per load run")
    parser.add_argument("--pledges", type=int, default=600, help="pledges per intake run")
    parser.add_argument("--overhead-pledges", type=int, default=200, help="pledges timed in-process")
    parser.add_argument("--charges", type=int, default=600, help="charges per collection run at 0 ms")
    parser.add_argument("--slow-charges", type=int, default=1500, help="charges at 300 ms latency")
    parser.add_argument("--threads", type=int, default=8, help="collection threads against the bare SDK's")
    parser.add_argument("--limit-charges", type=int, default=2000, help="charges against Stripe's emulated limits")
    parser.add_argument("--export-rows", type=int, default=200_000)
    parser.add_argument("--export-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--copy-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--stored-export-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    setup_django()
    if args.export_child:
        return export_child(args.export_child)
    if args.copy_child:
        return copy_child(args.copy_child)
    if args.stored_export_child:
        return stored_export_child(args.stored_export_child)
    only = set(args.only.split(","))
    results: dict = {"table": []}
    started = time.monotonic()
    if only & {"read", "page"}:
        measure_reads(results, args.seconds)
    if "intake" in only:
        measure_intake_all(results, args.seconds, args.pledges)
    if "calls" in only:
        measure_calls_and_overhead(results, args.overhead_pledges)
    if "collection" in only:
        measure_collection(results, args.charges, args.slow_charges, args.threads)
    if "limits" in only:
        measure_limits(results, args.limit_charges)
    if "export" in only:
        measure_export(results, args.export_rows)
    table = results.pop("table")
    width = max(len(name) for name, _, _ in table)
    print(f"\n{'measured':<{width}}  {'figure':<60}  against the baseline")
    for name, figure, ratio in table:
        print(f"{name:<{width}}  {figure:<60}  {ratio}")
    print(f"\n({time.monotonic() - started:.0f} s on {os.cpu_count()} cores)")
    summary = {key: round(results[key], 3) for key in KEYS if key in results}
    summary |= {
        key: round(value, 3) if isinstance(value, float) else value for key, value in results.items() if key not in KEYS
    }
    out = ROOT / "var" / "bench" / "results.json"
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
