"""Replay a campaign like Amanda Palmer's through the real HTTP API and the payment provider.

    manage.py simulate_campaign [--url http://127.0.0.1:8000] [--backers 2000] [--duration 90]

Against a running server (``make demo``; ``make simulate`` runs this): a creator makes a
campaign with her tiers (limits and goal scaled to the number of backers) and launches it
through the API; backers, each with a card saved at the provider as Stripe.js would
(some of them 4000000000000341, which saves and then declines when charged), pledge
through ``POST /api/pledges/`` in her burst's shape: most in the first moments, tiers
chosen in her backers' proportions, a sold-out tier answered 409 and the backer taking
the CD instead. Then the deadline passes and the command watches the worker close the
campaign and collect it, and prints a summary.

Backers and their API tokens are written straight to the database (sign-up is not what
is measured, and the anonymous throttle would hold it at 120 a minute); everything else
goes over HTTP. The server's ``CAMPAIGN_MIN_DURATION`` must allow ``--duration`` (the
demo allows 30 s), and its beat must sweep for due campaigns (the demo: every 5 s).
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal
from typing import cast

import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Max, Sum
from django.utils import timezone

from accounts.mfa import mfa_enrol_unattended
from accounts.tokens import token_issue, tokens_issue_many
from campaigns.models import Campaign
from demo.cards import CARD_DECLINES_ON_CHARGE, CARD_SUCCEEDS, card_payment_method
from demo.services import BACKERS, GOAL, TIERS, onboard_demo_creator
from pledges.models import Pledge
from pledges.payments import get_gateway
from pledges.payments.ratelimit import Budget
from pledges.payments.stripe_gateway import StripeGateway
from reports.management.commands._progress import ProgressBar

NO_REWARD_SHARE = Decimal(BACKERS - sum(tier.backers for tier in TIERS)) / BACKERS


class Command(BaseCommand):
    help = "Replay a campaign like Amanda Palmer's against a running server (make demo) and watch it collected."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running server")
        parser.add_argument("--backers", type=int, default=2000, help="24883 for the whole story")
        parser.add_argument("--duration", type=int, default=90, help="seconds from launch to deadline")
        parser.add_argument("--concurrency", type=int, default=16, help="backers pledging at once")
        parser.add_argument("--declines", type=float, default=0.03, help="share of cards declined when charged")
        parser.add_argument("--timeout", type=int, default=1800, help="give up watching after this many seconds")
        parser.add_argument("--seed", type=int, default=2012)

    def handle(self, *args, **options):
        self.options = options
        self.base = options["url"].rstrip("/")
        self.quiet = options["verbosity"] == 0
        self.rng = random.Random(options["seed"])  # noqa: S311 - a simulation, not a secret
        started = time.monotonic()
        self._check_server()
        backers = options["backers"]
        if backers < 1:
            raise CommandError("--backers must be at least 1")
        stamp = f"{int(time.time())}-{options['seed']}"
        creator_token, tokens = self._people(stamp, backers)
        cards = self._cards(backers)
        campaign_id, tiers, deadline = self._campaign(creator_token, backers)
        plan = self._plan(backers, tiers, cards, seconds_left=(deadline - timezone.now()).total_seconds())
        intake = self._pledge(campaign_id, tokens, plan)
        self._wait_for_close(campaign_id)
        collection = self._wait_for_collection(campaign_id)
        self._summary(campaign_id, intake, collection, time.monotonic() - started)

    # -- set-up ------------------------------------------------------------------

    def _check_server(self) -> None:
        try:
            requests.get(f"{self.base}/healthz", timeout=5)
        except requests.RequestException as error:
            raise CommandError(f"no server at {self.base} ({error}); start it with `make demo`") from error

    def _people(self, stamp: str, count: int) -> tuple[str, list[str]]:
        User = get_user_model()
        password = make_password(None)
        creator = User.objects.create(username=f"sim-{stamp}-creator", email=f"sim-{stamp}@example.com")
        # The server may require creators' two-factor sign-in at launch (MFA_REQUIRED_FOR_CREATORS):
        # the simulated creator has it, though nobody will ever sign in as them.
        mfa_enrol_unattended(user=creator)
        # And a payouts-enabled account (PAYOUTS_REQUIRED_TO_LAUNCH), onboarded at the emulator.
        onboard_demo_creator(creator)
        users = User.objects.bulk_create(
            User(username=f"sim-{stamp}-{n:06d}", email=f"sim-{stamp}-{n:06d}@example.com", password=password)
            for n in range(count)
        )
        return token_issue(user=creator), tokens_issue_many(users=users)

    def _api(self, session: requests.Session, method: str, path: str, token: str, **kwargs) -> requests.Response:
        return session.request(
            method, f"{self.base}{path}", headers={"Authorization": f"Token {token}"}, timeout=60, **kwargs
        )

    def _campaign(self, token: str, backers: int) -> tuple[int, list[dict], datetime]:
        """Her campaign, scaled: the goal in proportion to the backers, limits too (at least one);
        its id, tiers and deadline."""
        session = requests.Session()
        scale = Decimal(backers) / BACKERS
        goal = max((GOAL * scale).quantize(Decimal(1)), Decimal(100))
        deadline = timezone.now() + timedelta(seconds=self.options["duration"])
        response = self._api(
            session,
            "POST",
            "/api/campaigns/",
            token,
            json={
                "title": f"Simulated: {backers} backers like Amanda Palmer's",
                "description": "A replay of her burst, made by manage.py simulate_campaign.",
                "goal": str(goal),
                "currency": "USD",
                "deadline": deadline.isoformat(),
            },
        )
        self._expect(response, 201, "create the campaign")
        campaign_id = response.json()["id"]
        tiers = []
        for tier in TIERS:
            limit = None if tier.limit is None else max(1, round(tier.limit * scale))
            response = self._api(
                session,
                "POST",
                f"/api/campaigns/{campaign_id}/rewards/",
                token,
                json={"title": tier.title, "minimum": str(tier.minimum), "limit": limit, "description": ""},
            )
            self._expect(response, 201, f"create the tier {tier.title}")
            tiers.append({**response.json(), "weight": tier.backers})
        response = self._api(session, "POST", f"/api/campaigns/{campaign_id}/launch/", token)
        self._expect(response, 200, "launch the campaign (is CAMPAIGN_MIN_DURATION at most --duration?)")
        self._say(f"Campaign {campaign_id} launched: goal ${goal}, ends in {self.options['duration']} s")
        return campaign_id, tiers, deadline

    def _cards(self, count: int) -> list[str]:
        """Each backer's card, saved at the provider as Stripe.js does in the browser."""
        declines = set(self.rng.sample(range(count), round(count * self.options["declines"])))
        gateway = cast(StripeGateway, get_gateway())  # the demo's cards are Stripe's test cards
        numbers = [CARD_DECLINES_ON_CHARGE if n in declines else CARD_SUCCEEDS for n in range(count)]
        bar = ProgressBar(sys.stderr, count, label="Cards   ", unit="cards", enabled=not self.quiet)
        done = 0
        lock = threading.Lock()

        def save(number: str) -> str:
            nonlocal done
            card = card_payment_method(gateway, number)
            with lock:
                done += 1
                bar(done)
            return card

        with ThreadPoolExecutor(self.options["concurrency"]) as pool:
            cards = list(pool.map(save, numbers))
        bar.finish(done)
        return cards

    def _plan(self, count: int, tiers: list[dict], cards: list[str], *, seconds_left: float) -> list[dict]:
        """Who pledges what and when: her tiers' proportions, most pledges in the first moments."""
        weights = [tier["weight"] for tier in tiers] + [int(NO_REWARD_SHARE * BACKERS)]
        # Everyone has pledged well before the deadline: within 60 % of the time the launch left,
        # not of --duration (making the campaign and its tiers took some of it, seconds when busy).
        window = max(seconds_left * 0.6, 0.1)
        plan = []
        for n in range(count):
            choice = self.rng.choices(range(len(tiers) + 1), weights=weights)[0]
            tier = tiers[choice] if choice < len(tiers) else None
            amount = Decimal(tier["minimum"]) if tier else Decimal(self.rng.choice((1, 5, 10, 20)))
            amount += self.rng.choice((0, 0, 0, 1, 5, 10))
            at = min(self.rng.expovariate(8 / window), window)  # mean: an eighth of the window
            plan.append({"reward": tier["id"] if tier else None, "amount": amount, "at": at, "card": cards[n]})
        plan.sort(key=lambda p: p["at"])
        return plan

    # -- the burst ---------------------------------------------------------------

    def _pledge(self, campaign_id: int, tokens: list[str], plan: list[dict]) -> dict:
        fallback = None  # the cheapest unlimited tier at or above $25: the CD
        statuses: Counter = Counter()
        latencies: list[float] = []
        bar = ProgressBar(sys.stderr, len(plan), label="Pledges ", unit="pledges", enabled=not self.quiet)
        lock = threading.Lock()
        local = threading.local()
        started = time.monotonic()
        done = 0

        def pledge(index: int) -> None:
            nonlocal done, fallback
            item = plan[index]
            wait = started + item["at"] - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if not hasattr(local, "session"):
                local.session = requests.Session()
            session = local.session
            body = {
                "campaign": campaign_id,
                "reward": item["reward"],
                "amount": str(item["amount"]),
                "payment_method": item["card"],
            }
            sent = time.monotonic()
            response = self._api(session, "POST", "/api/pledges/", tokens[index], json=body)
            if response.status_code == 409 and response.json().get("code") == "sold_out":
                body["reward"] = fallback
                body["amount"] = str(max(item["amount"], Decimal(25)))
                response = self._api(session, "POST", "/api/pledges/", tokens[index], json=body)
            with lock:
                latencies.append(time.monotonic() - sent)
                statuses[response.status_code] += 1
                done += 1
                bar(done)

        session = requests.Session()
        rewards = self._api(session, "GET", f"/api/campaigns/{campaign_id}/rewards/", tokens[0]).json()
        rewards = rewards.get("results", rewards) if isinstance(rewards, dict) else rewards
        fallback = next(r["id"] for r in rewards if r["limit"] is None and Decimal(r["minimum"]) >= 25)
        with ThreadPoolExecutor(self.options["concurrency"]) as pool:
            list(pool.map(pledge, range(len(plan))))
        seconds = time.monotonic() - started
        bar.finish(done)
        latencies.sort()
        created = statuses[201]
        return {
            "statuses": dict(statuses),
            "created": created,
            "seconds": seconds,
            "per_second": created / seconds if seconds else 0.0,
            "p50": latencies[len(latencies) // 2] if latencies else 0.0,
            "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0,
        }

    # -- the close and the collection --------------------------------------------

    def _wait_for_close(self, campaign_id: int) -> None:
        campaign = Campaign.objects.get(pk=campaign_id)
        left = (cast(datetime, campaign.deadline) - timezone.now()).total_seconds()  # a live campaign's
        self._say(f"Waiting {max(left, 0):.0f} s for the deadline, then for the worker to close the campaign")
        deadline = time.monotonic() + max(left, 0) + self.options["timeout"]
        while Campaign.objects.filter(pk=campaign_id, state=Campaign.State.LIVE).exists():
            if time.monotonic() > deadline:
                raise CommandError("the campaign was not closed in time: is the beat (close sweep) running?")
            time.sleep(0.5)

    def _wait_for_collection(self, campaign_id: int) -> dict:
        campaign = Campaign.objects.get(pk=campaign_id)
        pledges = Pledge.objects.filter(campaign_id=campaign_id)
        to_collect = pledges.filter(state__in=Pledge.BACKER_STATES).count()
        if campaign.state != Campaign.State.SUCCESSFUL:
            return {"seconds": 0.0, "per_second": 0.0}
        bar = ProgressBar(sys.stderr, to_collect, label="Charges ", unit="pledges settled", enabled=not self.quiet)
        deadline = time.monotonic() + self.options["timeout"]
        while True:
            settled = pledges.filter(state__in=(Pledge.State.COLLECTED, Pledge.State.ERRORED)).count()
            bar(settled)
            if settled >= to_collect:
                break
            if time.monotonic() > deadline:
                raise CommandError(f"collection still running after {self.options['timeout']} s")
            time.sleep(0.25)
        bar.finish(settled)
        last = pledges.aggregate(collected=Max("collected_at"), errored=Max("errored_at"))
        ended = max(moment for moment in (last["collected"], last["errored"], campaign.closed_at) if moment)
        seconds = (ended - cast(datetime, campaign.closed_at)).total_seconds()  # closed by now
        return {"seconds": seconds, "per_second": to_collect / seconds if seconds > 0 else 0.0}

    # -- output ------------------------------------------------------------------

    def _summary(self, campaign_id: int, intake: dict, collection: dict, seconds: float) -> None:
        campaign = Campaign.objects.get(pk=campaign_id)
        states = dict(
            Pledge.objects.filter(campaign_id=campaign_id).values_list("state").annotate(n=Count("id")).order_by()
        )
        collected = Pledge.objects.filter(campaign_id=campaign_id, state=Pledge.State.COLLECTED).aggregate(
            total=Sum("amount")
        )["total"] or Decimal(0)
        refused = {code: n for code, n in intake["statuses"].items() if code != 201}
        rows = [
            ("campaign", f"{campaign.pk} ({campaign.state})"),
            ("pledged", f"${campaign.pledged:,.2f} of ${campaign.goal:,.2f}"),
            ("percent", f"{campaign.percent_funded:,}%"),
            ("backers", f"{campaign.backers_count:,}" + (f" (refused: {refused})" if refused else "")),
            ("collected", f"${collected:,.2f} from {states.get(Pledge.State.COLLECTED, 0):,} pledges"),
            ("errored", f"{states.get(Pledge.State.ERRORED, 0):,}"),
            ("dropped", f"{states.get(Pledge.State.DROPPED, 0):,}"),
            (
                "pledges/s",
                f"{intake['per_second']:.1f} (p50 {intake['p50'] * 1000:.0f} ms, p99 {intake['p99'] * 1000:.0f} ms)",
            ),
            ("charges/s", f"{collection['per_second']:.1f} (close to last charge {collection['seconds']:.1f} s)"),
            ("projected", collection_projection(collection["per_second"])),
            ("time", f"{seconds:.1f} s"),
        ]
        width = max(len(name) for name, _ in rows)
        self.stdout.write("")
        for name, value in rows:
            self.stdout.write(f"{name.ljust(width)}  {value}")

    def _say(self, text: str) -> None:
        if not self.quiet:
            self.stderr.write(text)

    @staticmethod
    def _expect(response: requests.Response, status: int, what: str) -> None:
        if response.status_code != status:
            raise CommandError(f"could not {what}: {response.status_code} {response.text[:300]}")


# Brandon Sanderson's 2022 Kickstarter campaign, the largest by backers: what a close must carry.
SANDERSON_BACKERS = 185_341


def duration(seconds: float) -> str:
    """ "2 h 04 min", "7 min 30 s", "40 s"."""
    if seconds >= 3600:
        hours, minutes = divmod(round(seconds / 60), 60)
        return f"{hours} h {minutes:02d} min"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def collection_projection(measured_per_second: float, pledges: int = SANDERSON_BACKERS) -> str:
    """How long collecting ``pledges`` takes at the configured provider limit (one PaymentIntent
    each: alone, borrowing the people's idle reserve; beside people pledging, background work's
    share) and at the rate this run measured."""
    budget = Budget.from_settings()
    limit = budget.operation_rate_limit or budget.rate_limit
    measured = (
        f"at the {measured_per_second:.1f}/s measured here {duration(pledges / measured_per_second)}"
        if measured_per_second > 0
        else "nothing collected here to measure"
    )
    if not limit:
        return f"{pledges:,} pledges: no provider limit configured; {measured}"
    alone = budget.background_borrowing_cap(limit, 0)
    beside = budget.background_cap(limit)
    return (
        f"{pledges:,} pledges at the limit of {limit}/s: {duration(pledges / alone)} alone ({alone}/s), "
        f"{duration(pledges / beside)} beside pledging ({beside}/s); {measured}"
    )
