"""The demo's data: Amanda Palmer's 2012 campaign as it ended, and a few campaigns of others.

Her campaign ("The new RECORD, ART BOOK, and TOUR", goal $100,000, 2012-04-30 to
2012-05-31, $1,192,793 from 24,883 backers) is loaded as rows: every backer a user and
a collected pledge with its succeeded Charge, written with PostgreSQL's COPY in one
transaction (a few seconds), so her page, her stats and her backer report show the
real scale. The amounts are exact Decimals generated from a fixed seed and adjusted so
that they add up to the total to the cent; pledge times crowd into the first hours
(she passed her goal the first day) with a smaller surge before the end.

The tiers known from public sources are marked so in their description; the ones
between them, and how many backers each tier had, are illustrative (the description
says so). Her campaign row's running totals are written from the generated rows.

Other creators' campaigns: finished ones as rows too (one successful, one failed), and
live ones built through the real services (pledges save a card at the provider, so
``STRIPE_API_BASE`` must point at localstripe) with launch and pledge times in the past
days, so their charts have a history and they close and collect as any campaign does.

Loading is idempotent: a campaign whose slug exists is left alone, so a second run
changes nothing.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission, User
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.mfa import mfa_enrol_unattended
from accounts.services import profile_set_display_name, profile_update
from campaigns.models import Campaign, Category
from campaigns.services import campaign_create, campaign_launch, campaign_review_decide, campaign_review_submit
from community.models import Comment
from core.bulk import copy_insert, reserve_ids
from core.locks import DEMO, advisory_lock
from core.markdown import render_markdown
from core.money import percent_funded
from demo.cards import CARD_DECLINES_ON_CHARGE, CARD_SUCCEEDS, card_payment_method
from fulfilment.models import Fulfilment, Survey, SurveyQuestion, SurveyResponse
from payouts.models import ChargeFee, LedgerEntry, Payout, PayoutAccount
from payouts.services import (
    half_up,
    payout_account_get_or_create,
    payout_account_onboarding_link,
    payout_account_sync,
    platform_fee_for,
)
from pledges.models import Charge, Pledge, PledgeAddOn
from pledges.payments import get_gateway
from pledges.payments.stripe_gateway import StripeGateway
from pledges.services import PledgeRequest, pledge_create
from rewards.models import AddOn, RewardTier, ShippingRule
from rewards.regions import regions_of
from rewards.services import reward_create

log = logging.getLogger(__name__)

PUBLIC = "From the campaign's public page."
ILLUSTRATIVE = "Illustrative: a plausible tier between the known ones, not from the campaign's page."

SLUG = "amanda-palmer-the-new-record-art-book-and-tour"
TITLE = "The new RECORD, ART BOOK, and TOUR"
GOAL = Decimal("100000")
TOTAL = Decimal("1192793")
BACKERS = 24_883
LAUNCHED = datetime(2012, 4, 30, 14, 0, tzinfo=UTC)
DEADLINE = datetime(2012, 5, 31, 23, 0, tzinfo=UTC)
SEED = 2012
BLURB = "A new record, an art book made with it, and a tour to play it, funded by the people who want them."
AMANDA_BIO = "Musician and writer. Demo data: a short bio made up for the demo, not her own words."
# Demo campaigns' categories (campaigns.categories), by slug.
CATEGORY_OF = {
    "tidewater-a-field-guide-to-the-salt-marsh": "art-books",
    "night-market-cookbook": "cookbooks",
    "maya": "crafts",
    "otto": "audio",
}

DESCRIPTION = """\
A new record (Theatre Is Evil, with the Grand Theft Orchestra), an art book made with it, and a \
tour to play it, funded by the people who want them rather than by a label.

Demo data: the goal, the dates, the total ($1,192,793) and the number of backers (24,883) are \
the campaign's public figures. Each tier says whether it comes from the campaign's public page \
or is illustrative; how many backers chose each tier, each backer and each pledge are generated \
(exactly adding up to the public total)."""


@dataclass(frozen=True)
class Tier:
    title: str
    minimum: Decimal
    backers: int
    description: str
    limit: int | None = None
    public: bool = False
    # Pledges to this tier all come in the first ``within`` of the campaign (sold out in hours).
    within: timedelta | None = None
    delivery: date | None = None
    # Physical: the key of its shipping prices in SHIPPING; None: digital (or an event).
    ships: str | None = None

    @property
    def full_description(self) -> str:
        return f"{self.description} {PUBLIC if self.public else ILLUSTRATIVE}"


TIERS = (
    Tier("Digital download", Decimal("1"), 5_000, "The new album as a digital download.", public=True),
    Tier(
        "Digital album and digital art book",
        Decimal("5"),
        2_600,
        "The album and the art book as downloads.",
        delivery=date(2012, 9, 1),
    ),
    Tier(
        "CD",
        Decimal("25"),
        7_500,
        "The new record on CD, and the download.",
        public=True,
        delivery=date(2012, 9, 1),
        ships="cd",
    ),
    Tier(
        "Vinyl and CD",
        Decimal("50"),
        3_200,
        "The record on double vinyl, the CD and the download.",
        delivery=date(2012, 10, 1),
        ships="vinyl",
    ),
    Tier(
        "The art book",
        Decimal("100"),
        2_000,
        "The hardcover art book made with the record, with the CD, the vinyl and the download.",
        delivery=date(2012, 10, 1),
        ships="book",
    ),
    Tier(
        "Signed art book and a thank-you in it",
        Decimal("250"),
        300,
        "Everything above, the book signed, and your name printed in it.",
        delivery=date(2012, 10, 1),
        ships="book",
    ),
    Tier(
        "Backers-only art party",
        Decimal("300"),
        300,
        "A backers-only art party and show in one of 6 cities on the tour, with the record and the book.",
        public=True,
        delivery=date(2012, 11, 1),
        ships="book",
    ),
    Tier(
        "Photo book by Kyle Cassidy and Neil Gaiman",
        Decimal("1000"),
        20,
        "A limited book of photographs by Kyle Cassidy with words by Neil Gaiman, and everything above.",
        public=True,
        delivery=date(2012, 12, 1),
        ships="book",
    ),
    Tier(
        "House party",
        Decimal("5000"),
        35,
        "Amanda and the band play a house party at your place.",
        limit=35,
        public=True,
        within=timedelta(hours=20),
        delivery=date(2012, 12, 1),
    ),
    Tier(
        "Art sitting and dinner",
        Decimal("10000"),
        1,
        "Amanda paints you (or you paint her), then dinner together.",
        limit=1,
        public=True,
        within=timedelta(hours=6),
        delivery=date(2012, 12, 1),
    ),
)
# Backers who pledged without a reward, and what they gave (whole dollars).
NO_REWARD_AMOUNTS = (1, 2, 3, 5, 5, 10, 10, 20, 25, 50)
# What some reward backers added on top of the tier's minimum.
TIPS = (1, 2, 5, 5, 10, 10, 20, 25, 50)

# Shipping (illustrative: 2012's postage guessed, not from the campaign's page), by kind of tier:
# a rule for the US, then regions (rewards.regions: a country rule beats a region rule).
SHIPPING_NOTE = "Shipping prices are illustrative, not from the campaign's page."
SHIPPING: dict[str, dict[str, Decimal]] = {
    "cd": {
        "US": Decimal(5),
        "north_america": Decimal(8),
        "eu": Decimal(12),
        "europe": Decimal(14),
        "world": Decimal(15),
    },
    "vinyl": {
        "US": Decimal(8),
        "north_america": Decimal(12),
        "eu": Decimal(16),
        "europe": Decimal(18),
        "world": Decimal(20),
    },
    "book": {
        "US": Decimal(10),
        "north_america": Decimal(15),
        "eu": Decimal(18),
        "europe": Decimal(20),
        "world": Decimal(22),
    },
}
# Where physical rewards went (weight), with one street per country its backers live on (the
# house number varies): addresses valid in the country's format (fulfilment.addresses).
DESTINATIONS: dict[str, tuple[int, str, str, str, str, str]] = {
    # country: (weight, address line 1 with {n}, city, state, postal code, carrier)
    "US": (55, "{n} Elm Street", "Somerville", "MA", "02144", "USPS"),
    "CA": (6, "{n} Queen Street West", "Toronto", "ON", "M5H 2N2", "Canada Post"),
    "MX": (1, "Avenida Insurgentes Sur {n}", "Ciudad de México", "CDMX", "03100", "USPS"),
    "GB": (8, "{n} Camden High Street", "London", "", "NW1 7JE", "Royal Mail"),
    "DE": (7, "Oranienstraße {n}", "Berlin", "", "10999", "DHL"),
    "FR": (4, "{n} rue Oberkampf", "Paris", "", "75011", "La Poste"),
    "NL": (3, "Prinsengracht {n}", "Amsterdam", "", "1015 DZ", "PostNL"),
    "SE": (2, "Götgatan {n}", "Stockholm", "", "118 46", "PostNord"),
    "IE": (2, "{n} Camden Street Lower", "Dublin", "", "D02 XE80", "An Post"),
    "NO": (1, "Thorvald Meyers gate {n}", "Oslo", "", "0555", "Posten"),
    "CH": (1, "Langstrasse {n}", "Zürich", "", "8004", "Swiss Post"),
    "AU": (6, "{n} Brunswick Street", "Fitzroy", "VIC", "3065", "Australia Post"),
    "NZ": (1, "{n} Cuba Street", "Wellington", "", "6011", "NZ Post"),
    "JP": (2, "Jingumae {n}-1-1", "Shibuya-ku", "Tokyo", "150-0001", "Japan Post"),
}
# One add-on (illustrative), for the physical tiers: bought by ADD_ON_BUYERS of their backers.
ADD_ON_TITLE = "Theatre Is Evil poster"
ADD_ON_PRICE = Decimal(20)
ADD_ON_BUYERS = 1_000
# The survey, sent a month after the close: who answered, what was shipped (illustrative).
SURVEY_SENT = DEADLINE + timedelta(days=30)
SURVEY_LOCK = DEADLINE + timedelta(days=90)
ANSWERED = Decimal("0.85")  # of the physical tiers' backers
SHIPPED = Decimal("0.60")  # of the physical tiers' backers, all of them among those who answered
DELIVERED = Decimal("0.25")  # of the shipped: delivered (carrier), and as many again marked received
SIGNED_TIER = "Signed art book and a thank-you in it"
COMMENTS = (
    ("ap-backer-00007", "The CD arrived today. The booklet alone was worth it!", None),
    ("ap-backer-00042", "Is there still a way to add the poster to my pledge?", None),
    (
        "amanda",
        "Not any more, sorry: the add-ons closed with the campaign. We printed a few spares for the shows.",
        1,
    ),
    ("ap-backer-00113", "Still waiting for my vinyl, any news on the overseas shipments?", None),
    ("amanda", "They left last week by sea mail: the tracking numbers are in your pledge page.", 3),
)


def shipping_for(kind: str, country: str) -> Decimal:
    """The tier kind's price to ``country``: its country rule, else its most specific region's."""
    prices = SHIPPING[kind]
    if country in prices:
        return prices[country]
    return next(prices[region] for region in regions_of(country) if region in prices)


FIRST_NAMES = (
    "Alex Ana Ben Bea Cara Dan Dee Eli Emma Finn Gus Hana Ian Ivy Jo Jon Kai Kim Lea Leo Lou Max Mia Nat Noor "
    "Ola Pat Raj Ren Sam Sol Tess Tom Uma Val Wes Yan Zoe"
).split()
LAST_NAMES = (
    "Adler Baker Chen Costa Diaz Evans Fischer Garcia Haas Ito Jensen Khan Kowalski Lee Lopez Moreau Murphy "
    "Nagy Novak Okafor Park Patel Quinn Rossi Sato Schmidt Silva Smith Tanaka Weber Wong Young"
).split()


@dataclass(frozen=True)
class DemoPledge:
    tier: int | None  # index in TIERS
    amount: Decimal
    at: datetime
    country: str = ""
    shipping: Decimal = Decimal(0)
    add_on: bool = False


def _pledge_time(rng: random.Random, tier: Tier | None) -> datetime:
    """Front-loaded: 40% of the backers came the first day (most in its first hours), a surge
    came in the last two days, the rest trickled in, fading, in between."""
    span = DEADLINE - LAUNCHED
    if tier is not None and tier.within is not None:
        return LAUNCHED + tier.within * rng.random() ** 2
    draw = rng.random()
    if draw < 0.4:
        hours = min(rng.expovariate(1 / 6), 23.99)  # mean 6 hours
        return LAUNCHED + timedelta(hours=hours)
    if draw < 0.52:
        return DEADLINE - timedelta(hours=48) * rng.random() ** 2
    days = 1 + min(rng.expovariate(1 / 6), (span - timedelta(days=3)).total_seconds() / 86400)
    return LAUNCHED + timedelta(days=days)


def amanda_pledges() -> list[DemoPledge]:
    """Her 24,883 pledges, in time order, adding up to exactly $1,192,793 (the same every run)."""
    rng = random.Random(SEED)  # noqa: S311 - demo data, fixed seed
    rewarded = sum(tier.backers for tier in TIERS)
    plan: list[tuple[int | None, Decimal]] = []
    for index, tier in enumerate(TIERS):
        plan += [(index, tier.minimum)] * tier.backers
    plan += [(None, Decimal(rng.choice(NO_REWARD_AMOUNTS))) for _ in range(BACKERS - rewarded)]
    # Physical tiers: a destination each, its shipping, and for some the add-on (all in the amount).
    ship_rng = random.Random(f"{SEED}:shipping")  # noqa: S311 - demo data, fixed seed
    countries, weights = list(DESTINATIONS), [spec[0] for spec in DESTINATIONS.values()]
    destination: dict[int, tuple[str, Decimal]] = {}
    for i, (pick, _) in enumerate(plan):
        kind = None if pick is None else TIERS[pick].ships
        if kind is not None:
            country = ship_rng.choices(countries, weights)[0]
            destination[i] = (country, shipping_for(kind, country))
    add_on = set(ship_rng.sample(sorted(destination), ADD_ON_BUYERS))
    amounts = [
        amount + destination.get(i, ("", Decimal(0)))[1] + (ADD_ON_PRICE if i in add_on else 0)
        for i, (_, amount) in enumerate(plan)
    ]
    # What is left goes as tips on top of the minimums, drawn at random, the last one exact.
    left = TOTAL - sum(amounts)
    assert left >= 0, "the tiers' minimums, shipping and add-ons exceed the total"
    tippable = [i for i, (tier, _) in enumerate(plan) if tier is not None and TIERS[tier].limit is None]
    while left > 0:
        tip = min(Decimal(rng.choice(TIPS)), left)
        amounts[rng.choice(tippable)] += tip
        left -= tip
    pledges = [
        DemoPledge(
            tier=tier,
            amount=amount,
            at=_pledge_time(rng, None if tier is None else TIERS[tier]),
            country=destination.get(i, ("", Decimal(0)))[0],
            shipping=destination.get(i, ("", Decimal(0)))[1],
            add_on=i in add_on,
        )
        for i, ((tier, _), amount) in enumerate(zip(plan, amounts, strict=True))
    ]
    pledges.sort(key=lambda p: p.at)
    return pledges


def _backer_name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def load_amanda_palmer() -> Campaign | None:
    """Her campaign, backers, pledges and charges, in one transaction; None if already there."""
    if Campaign.objects.filter(slug=SLUG).exists():
        return None
    User = get_user_model()
    pledges = amanda_pledges()
    total = sum(p.amount for p in pledges)
    assert total == TOTAL and len(pledges) == BACKERS
    funded_at = _funded_at(pledges)
    with transaction.atomic():
        amanda, _ = User.objects.get_or_create(
            username="amanda", defaults={"email": "amanda@pledgeboard.local", "first_name": "Amanda"}
        )
        # The name people search for ("Amanda Palmer", "Palmer"): her display name.
        profile_set_display_name(user=amanda, display_name="Amanda Palmer")
        profile_update(user=amanda, bio=AMANDA_BIO, location="Boston, MA")
        campaign = Campaign.objects.create(
            creator=amanda,
            category=Category.objects.filter(slug="albums").first(),
            blurb=BLURB,
            title=TITLE,
            slug=SLUG,
            description=DESCRIPTION,
            description_html=render_markdown(DESCRIPTION),
            goal=GOAL,
            currency="USD",
            state=Campaign.State.SUCCESSFUL,
            deadline=DEADLINE,
            launched_at=LAUNCHED,
            closed_at=DEADLINE,
            funded_at=funded_at,
            pledged=total,
            backers_count=len(pledges),
            collected=total,
            collected_count=len(pledges),
        )
        Campaign.objects.filter(pk=campaign.pk).update(created_at=LAUNCHED - timedelta(days=14), updated_at=DEADLINE)
        claimed = [sum(1 for p in pledges if p.tier == index) for index in range(len(TIERS))]
        tiers = [
            RewardTier.objects.create(
                campaign=campaign,
                title=tier.title,
                description=tier.full_description,
                minimum=tier.minimum,
                limit=tier.limit,
                claimed=count,
                estimated_delivery=tier.delivery,
                ships=tier.ships is not None,
            )
            for tier, count in zip(TIERS, claimed, strict=True)
        ]
        _shipping_rules(tiers)
        poster = AddOn.objects.create(
            campaign=campaign,
            title=ADD_ON_TITLE,
            description=f"A signed poster of the album's cover. {ILLUSTRATIVE}",
            price=ADD_ON_PRICE,
            claimed=ADD_ON_BUYERS,
        )
        poster.tiers.set([tier for tier, spec in zip(tiers, TIERS, strict=True) if spec.ships])
        backers = _copy_backers_and_pledges(campaign, pledges, [tier.pk for tier in tiers], username_prefix="ap-backer")
        _copy_add_on_lines(poster, pledges, backers)
        _survey_and_fulfilment(campaign, tiers, pledges, backers)
        _comments(campaign)
    account = onboard_demo_creator(amanda)
    # Statistics for the ~25,000 pledges and charges just copied, before _paid_out joins them:
    # planned on the figures of emptied tables (a test database after a TRUNCATE), that join was a
    # nested loop of 29 s instead of a hash join of milliseconds.
    _analyze()
    _paid_out(campaign, account)
    return campaign


def _funded_at(pledges: list[DemoPledge]) -> datetime:
    running = Decimal(0)
    for pledge in pledges:
        running += pledge.amount
        if running >= GOAL:
            return pledge.at
    raise AssertionError("the goal is never reached")


def _copy_backers_and_pledges(
    campaign: Campaign,
    pledges: list[DemoPledge],
    tier_ids: list[int],
    *,
    username_prefix: str,
    state: str = Pledge.State.COLLECTED,
) -> list[Backer]:
    """Users, pledges (and, for collected ones, their succeeded charges) by COPY; who they are."""
    User = get_user_model()
    rng = random.Random(f"{SEED}:{campaign.slug}")  # noqa: S311 - demo data, fixed seed
    user_ids = reserve_ids(User, len(pledges))
    pledge_ids = reserve_ids(Pledge, len(pledges))
    collected = state == Pledge.State.COLLECTED
    charge_ids = reserve_ids(Charge, len(pledges)) if collected else []
    closed = campaign.closed_at or campaign.deadline
    names = [_backer_name(rng) for _ in pledges]

    def users() -> Iterator[dict[str, Any]]:
        for number, (user_id, pledge, (first, last)) in enumerate(zip(user_ids, pledges, names, strict=True), start=1):
            yield {
                "id": user_id,
                "password": "!",  # unusable: demo backers cannot log in
                "username": f"{username_prefix}-{number:05d}",
                "first_name": first,
                "last_name": last,
                "email": f"{username_prefix}-{number:05d}@example.com",
                "date_joined": pledge.at - timedelta(minutes=5),
            }

    def pledge_rows() -> Iterator[dict[str, Any]]:
        for user_id, pledge_id, pledge in zip(user_ids, pledge_ids, pledges, strict=True):
            yield {
                "id": pledge_id,
                "backer_id": user_id,
                "campaign_id": campaign.pk,
                "reward_id": None if pledge.tier is None else tier_ids[pledge.tier],
                "amount": pledge.amount,
                "shipping_country": pledge.country,
                "shipping_amount": pledge.shipping,
                "state": state,
                "stripe_customer_id": f"cus_demo_{pledge_id}",
                "payment_method_id": f"pm_demo_{pledge_id}",
                "setup_intent_id": f"seti_demo_{pledge_id}",
                "created_at": pledge.at,
                "updated_at": closed if collected else pledge.at,
                "activated_at": pledge.at,
                "ended_at": closed if state == Pledge.State.RELEASED else None,
                "collected_at": closed if collected else None,
                "collection_enqueued_at": closed if collected else None,
            }

    def charges() -> Iterator[dict[str, Any]]:
        for charge_id, pledge_id, pledge in zip(charge_ids, pledge_ids, pledges, strict=True):
            yield {
                "id": charge_id,
                "pledge_id": pledge_id,
                "attempt": 1,
                "idempotency_key": f"pledge:{pledge_id}:charge:1",
                "amount": pledge.amount,
                "currency": campaign.currency,
                "state": Charge.State.SUCCEEDED,
                "payment_intent_id": f"pi_demo_{pledge_id}",
                "submitted_at": closed,
                "created_at": closed,
                "updated_at": closed,
            }

    copy_insert(User, users())
    copy_insert(Pledge, pledge_rows())
    if collected:
        copy_insert(Charge, charges())
    return [
        Backer(pledge_id=pledge_id, name=f"{first} {last}")
        for pledge_id, (first, last) in zip(pledge_ids, names, strict=True)
    ]


@dataclass(frozen=True)
class Backer:
    pledge_id: int
    name: str


def _shipping_rules(tiers: list[RewardTier]) -> None:
    rules = []
    for tier, spec in zip(tiers, TIERS, strict=True):
        if spec.ships is None:
            continue
        tier.description = f"{tier.description} {SHIPPING_NOTE}"
        tier.save(update_fields=["description"])
        for place, price in SHIPPING[spec.ships].items():
            is_country = place.isupper()
            rules.append(
                ShippingRule(
                    tier=tier, country=place if is_country else "", region="" if is_country else place, price=price
                )
            )
    ShippingRule.objects.bulk_create(rules)


def _copy_add_on_lines(add_on: AddOn, pledges: list[DemoPledge], backers: list[Backer]) -> None:
    lines = [backer.pledge_id for pledge, backer in zip(pledges, backers, strict=True) if pledge.add_on]
    ids = reserve_ids(PledgeAddOn, len(lines))
    copy_insert(
        PledgeAddOn,
        (
            {"id": line_id, "pledge_id": pledge_id, "add_on_id": add_on.pk, "quantity": 1, "unit_price": add_on.price}
            for line_id, pledge_id in zip(ids, lines, strict=True)
        ),
    )


def _survey_and_fulfilment(
    campaign: Campaign, tiers: list[RewardTier], pledges: list[DemoPledge], backers: list[Backer]
) -> None:
    """The survey sent after the close (the address, and the name for the signed book's thank-you),
    answered by ANSWERED of the physical tiers' backers; SHIPPED of them shipped, some delivered,
    some marked received; the rest unfulfilled (no row)."""
    rng = random.Random(f"{SEED}:survey")  # noqa: S311 - demo data, fixed seed
    survey = Survey.objects.create(
        campaign=campaign, state=Survey.State.SENT, asks_address=True, lock_at=SURVEY_LOCK, sent_at=SURVEY_SENT
    )
    signed = next(tier for tier in tiers if tier.title == SIGNED_TIER)
    question = SurveyQuestion.objects.create(
        survey=survey, tier=signed, position=1, kind=SurveyQuestion.Kind.TEXT, prompt="Your name for the thank-you"
    )
    physical = [i for i, pledge in enumerate(pledges) if pledge.country]
    answered = sorted(rng.sample(physical, int(len(physical) * ANSWERED)))
    shipped = sorted(rng.sample(answered, int(len(physical) * SHIPPED)))
    status = {i: Fulfilment.Status.SHIPPED for i in shipped}
    done = rng.sample(shipped, 2 * int(len(shipped) * DELIVERED))
    for n, i in enumerate(done):
        status[i] = Fulfilment.Status.DELIVERED if n % 2 == 0 else Fulfilment.Status.RECEIVED

    def responses(ids: list[int]) -> Iterator[dict[str, Any]]:
        for response_id, i in zip(ids, answered, strict=True):
            pledge, backer = pledges[i], backers[i]
            street, city, state, postal_code, _ = DESTINATIONS[pledge.country][1:]
            at = SURVEY_SENT + timedelta(hours=rng.expovariate(1 / 72))
            yield {
                "id": response_id,
                "survey_id": survey.pk,
                "pledge_id": backer.pledge_id,
                "answers": {str(question.pk): backer.name} if pledge.tier == TIERS.index(_signed_spec()) else {},
                "name": backer.name,
                "address1": street.format(n=1 + backer.pledge_id % 180),
                "address2": "",
                "city": city,
                "state": state,
                "postal_code": postal_code,
                "country": pledge.country,
                "phone": "",
                "submitted_at": at,
                "updated_at": at,
            }

    def fulfilments(ids: list[int]) -> Iterator[dict[str, Any]]:
        for fulfilment_id, i in zip(ids, shipped, strict=True):
            pledge, backer = pledges[i], backers[i]
            sent = SURVEY_LOCK + timedelta(days=rng.randrange(0, 60))
            delivered = sent + timedelta(days=rng.randrange(4, 21))
            arrived = status[i] != Fulfilment.Status.SHIPPED
            yield {
                "id": fulfilment_id,
                "pledge_id": backer.pledge_id,
                "status": status[i],
                "carrier": DESTINATIONS[pledge.country][5],
                "tracking_number": f"PB{pledge.country}{backer.pledge_id:09d}",
                "tracking_url": "",
                "shipped_at": sent,
                "delivered_at": delivered if arrived else None,
                "updated_at": delivered if arrived else sent,
            }

    copy_insert(SurveyResponse, responses(reserve_ids(SurveyResponse, len(answered))))
    copy_insert(Fulfilment, fulfilments(reserve_ids(Fulfilment, len(shipped))))


def _signed_spec() -> Tier:
    return next(tier for tier in TIERS if tier.title == SIGNED_TIER)


def _comments(campaign: Campaign) -> None:
    """A few comments after the close, the creator's replies marked as hers."""
    made: list[Comment] = []
    for number, (username, body, reply_to) in enumerate(COMMENTS):
        author = get_user_model().objects.get(username=username)
        comment = Comment.objects.create(
            campaign=campaign,
            author=author,
            by_creator=author.pk == campaign.creator_id,
            parent=None if reply_to is None else made[reply_to],
            body=body,
            body_html=render_markdown(body),
        )
        Comment.objects.filter(pk=comment.pk).update(created_at=SURVEY_LOCK + timedelta(days=20, hours=5 * number))
        made.append(comment)


# --- payouts ---------------------------------------------------------------------------


def onboard_demo_creator(creator: User) -> PayoutAccount | None:
    """The creator's Express account at the Connect emulator, onboarded through its hosted page
    as the creator's browser would ("Complete onboarding"). Only against the emulator (real
    Stripe's onboarding needs the person): None, with a warning, without STRIPE_API_BASE."""
    if not settings.STRIPE_API_BASE:
        log.warning("demo creator %s not onboarded: no Connect emulator (STRIPE_API_BASE)", creator.username)
        return None
    account = payout_account_get_or_create(creator=creator)
    if not account.payouts_enabled:
        url = payout_account_onboarding_link(
            creator=creator, return_url=settings.SITE_URL + "/studio/payouts/return/", refresh_url=settings.SITE_URL
        )
        requests.post(url, data={"action": "complete"}, allow_redirects=False, timeout=30).raise_for_status()
        return payout_account_sync(stripe_account_id=account.stripe_account_id)
    return account


def demo_processing_fee(amount: Decimal) -> Decimal:
    """What the emulator (and Stripe's US card pricing) charges a card payment: 2.9 % + $0.30."""
    return half_up(amount * Decimal("0.029"), "USD") + Decimal("0.30")


def _paid_out(campaign: Campaign, account: PayoutAccount | None) -> None:
    """A finished campaign's ledger as collection would have written it (the demo's charges are
    rows, never made at the provider), and its payout, sent: one transfer of the net. The
    transfer is a row too (the emulator's platform balance holds none of this money)."""
    charges = list(
        Charge.objects.filter(pledge__campaign=campaign, state=Charge.State.SUCCEEDED).values_list("pk", "amount")
    )
    at = campaign.closed_at

    def entries(ids: Iterator[int]) -> Iterator[dict[str, Any]]:
        for charge_id, amount in charges:
            common = {
                "campaign_id": campaign.pk,
                "currency": campaign.currency,
                "charge_id": charge_id,
                "created_at": at,
            }
            yield {
                **common,
                "id": next(ids),
                "kind": LedgerEntry.Kind.CHARGE_COLLECTED,
                "amount": amount,
                "idempotency_key": f"charge:{charge_id}:collected",
            }
            yield {
                **common,
                "id": next(ids),
                "kind": LedgerEntry.Kind.PLATFORM_FEE,
                "amount": -platform_fee_for(amount=amount, currency=campaign.currency),
                "idempotency_key": f"charge:{charge_id}:platform_fee",
            }
            yield {
                **common,
                "id": next(ids),
                "kind": LedgerEntry.Kind.PROCESSING_FEE,
                "amount": -demo_processing_fee(amount),
                "idempotency_key": f"charge:{charge_id}:processing_fee",
            }

    def fees(ids: list[int]) -> Iterator[dict[str, Any]]:
        for fee_id, (charge_id, amount) in zip(ids, charges, strict=True):
            yield {
                "id": fee_id,
                "charge_id": charge_id,
                "processing_fee_minor": int(demo_processing_fee(amount) * 100),
                "currency": campaign.currency,
                "balance_transaction_id": f"txn_demo_{charge_id}",
                "created_at": at,
            }

    with transaction.atomic():
        # Ids first: nothing else may use the connection while a COPY runs.
        copy_insert(LedgerEntry, entries(iter(reserve_ids(LedgerEntry, 3 * len(charges)))))
        copy_insert(ChargeFee, fees(reserve_ids(ChargeFee, len(charges))))
        if account is None:
            return
        net = LedgerEntry.objects.filter(campaign=campaign).aggregate(s=Sum("amount"))["s"]
        assert at is not None  # the demo's campaigns are made closed
        sent = at + settings.PAYOUT_DELAY
        payout = Payout.objects.create(
            campaign=campaign,
            amount=net,
            currency=campaign.currency,
            state=Payout.State.SENT,
            destination=account.stripe_account_id,
            idempotency_key=f"campaign:{campaign.pk}:payout:1",
            provider_id=f"tr_demo_{campaign.pk}",
            submitted_at=sent,
            sent_at=sent,
        )
        Payout.objects.filter(pk=payout.pk).update(created_at=sent, updated_at=sent)
        LedgerEntry.objects.create(
            campaign=campaign,
            currency=campaign.currency,
            kind=LedgerEntry.Kind.TRANSFER,
            amount=-net,
            payout=payout,
            idempotency_key=f"payout:{payout.pk}",
        )


# --- other creators ------------------------------------------------------------------


@dataclass(frozen=True)
class Finished:
    slug: str
    creator: str
    title: str
    description: str
    goal: Decimal
    launched: datetime
    days: int
    tiers: tuple[tuple[str, Decimal], ...]
    backers: int
    successful: bool


FINISHED = (
    Finished(
        slug="tidewater-a-field-guide-to-the-salt-marsh",
        creator="ines",
        title="Tidewater: a field guide to the salt marsh",
        description="A pocket field guide, painted plate by plate over two summers on the marsh.",
        goal=Decimal("8000"),
        launched=datetime(2025, 3, 3, 15, 0, tzinfo=UTC),
        days=30,
        tiers=(("Thank-you postcard", Decimal("5")), ("The guide", Decimal("30")), ("Signed print", Decimal("90"))),
        backers=312,
        successful=True,
    ),
    Finished(
        slug="night-market-cookbook",
        creator="bao",
        title="Night Market Cookbook",
        description="Recipes from the stalls of one street, told by the cooks who run them.",
        goal=Decimal("25000"),
        launched=datetime(2025, 6, 2, 12, 0, tzinfo=UTC),
        days=28,
        tiers=(("E-book", Decimal("12")), ("Hardcover", Decimal("40"))),
        backers=88,
        successful=False,
    ),
)


def load_finished(spec: Finished) -> Campaign | None:
    if Campaign.objects.filter(slug=spec.slug).exists():
        return None
    User = get_user_model()
    rng = random.Random(f"{SEED}:{spec.slug}")  # noqa: S311 - demo data, fixed seed
    deadline = spec.launched + timedelta(days=spec.days)
    picks = [rng.randrange(len(spec.tiers)) for _ in range(spec.backers)]
    pledges = sorted(
        (
            DemoPledge(
                tier=pick,
                amount=spec.tiers[pick][1] + rng.choice((0, 0, 0, 5, 10)),
                at=spec.launched + timedelta(days=spec.days) * rng.random() ** 2.5,
            )
            for pick in picks
        ),
        key=lambda p: p.at,
    )
    total = sum((p.amount for p in pledges), Decimal(0))
    if spec.successful != (total >= spec.goal):
        raise AssertionError(f"{spec.slug}: {total} against a goal of {spec.goal}")
    with transaction.atomic():
        creator, _ = User.objects.get_or_create(
            username=spec.creator, defaults={"email": f"{spec.creator}@example.com"}
        )
        campaign = Campaign.objects.create(
            creator=creator,
            category=Category.objects.filter(slug=CATEGORY_OF.get(spec.slug, "")).first(),
            title=spec.title,
            slug=spec.slug,
            description=spec.description,
            description_html=render_markdown(spec.description),
            goal=spec.goal,
            currency="USD",
            state=Campaign.State.SUCCESSFUL if spec.successful else Campaign.State.FAILED,
            deadline=deadline,
            launched_at=spec.launched,
            closed_at=deadline,
            funded_at=_funded_when(pledges, spec.goal),
            pledged=total,
            backers_count=len(pledges),
            collected=total if spec.successful else Decimal(0),
            collected_count=len(pledges) if spec.successful else 0,
        )
        tiers = [
            RewardTier.objects.create(
                campaign=campaign,
                title=title,
                minimum=minimum,
                claimed=picks.count(index),
                description="Demo data.",
            )
            for index, (title, minimum) in enumerate(spec.tiers)
        ]
        _copy_backers_and_pledges(
            campaign,
            pledges,
            [tier.pk for tier in tiers],
            username_prefix=f"{spec.creator}-backer",
            state=Pledge.State.COLLECTED if spec.successful else Pledge.State.RELEASED,
        )
    account = onboard_demo_creator(creator)
    if spec.successful:
        _paid_out(campaign, account)
    return campaign


def _funded_when(pledges: list[DemoPledge], goal: Decimal) -> datetime | None:
    running = Decimal(0)
    for pledge in pledges:
        running += pledge.amount
        if running >= goal:
            return pledge.at
    return None


@dataclass(frozen=True)
class Live:
    slug_title: str
    creator: str
    description: str
    goal: Decimal
    days_ago: int
    days_left: int
    tiers: tuple[tuple[str, Decimal, int | None], ...]
    backers: int


LIVE = (
    Live(
        slug_title="Maya's Field Notebook & Sketchbook",
        creator="maya",
        description="A pocket notebook with a sketchbook at the back, sewn and bound by hand.",
        goal=Decimal("3000"),
        days_ago=6,
        days_left=24,
        tiers=(
            ("One notebook", Decimal("18"), None),
            ("Three notebooks", Decimal("45"), None),
            ("Bindery visit", Decimal("150"), 4),
        ),
        backers=14,
    ),
    Live(
        slug_title="Small Hours: a late-night radio play",
        creator="otto",
        description="Six episodes recorded live in one night, with the audience in the studio.",
        goal=Decimal("5000"),
        days_ago=27,
        days_left=3,
        tiers=(("The episodes", Decimal("10"), None), ("A seat in the studio", Decimal("60"), 30)),
        backers=10,
    ),
)


def load_live(spec: Live, *, now: datetime | None = None) -> Campaign | None:
    """A live campaign launched ``days_ago``, with pledges made through the real services (each
    saves a card at the provider); one backer's card will be declined when charged."""
    User = get_user_model()
    creator, _ = User.objects.get_or_create(username=spec.creator, defaults={"email": f"{spec.creator}@example.com"})
    if Campaign.objects.filter(creator=creator, title=spec.slug_title).exists():
        return None
    if not settings.STRIPE_API_BASE:
        raise RuntimeError("live demo campaigns save cards at the provider: point STRIPE_API_BASE at localstripe")
    now = now or timezone.now()
    launched = now - timedelta(days=spec.days_ago)
    campaign = campaign_create(
        creator=creator,
        title=spec.slug_title,
        description=spec.description,
        goal=spec.goal,
        currency="USD",
        deadline=now + timedelta(days=spec.days_left),
        category=Category.objects.filter(slug=CATEGORY_OF.get(spec.creator, "")).first(),
    )
    for title, minimum, limit in spec.tiers:
        reward_create(campaign=campaign, title=title, minimum=minimum, limit=limit, description="Demo data.")
    launch_unattended(campaign, now=launched)
    tiers = list(campaign.rewards.order_by("minimum", "id"))
    rng = random.Random(f"{SEED}:{spec.slug_title}")  # noqa: S311 - demo data, fixed seed
    gateway = cast(StripeGateway, get_gateway())  # the demo's cards are Stripe's test cards
    taken = {tier.pk: 0 for tier in tiers}
    for number in range(1, spec.backers + 1):
        backer, _ = User.objects.get_or_create(
            username=f"{spec.creator}-backer-{number:03d}",
            defaults={"email": f"{spec.creator}-backer-{number:03d}@example.com"},
        )
        tier = tiers[min(int(rng.expovariate(1.2)), len(tiers) - 1)]
        if tier.limit is not None and taken[tier.pk] >= tier.limit:
            tier = tiers[0]
        taken[tier.pk] += 1
        card = CARD_DECLINES_ON_CHARGE if number == spec.backers else CARD_SUCCEEDS
        at = launched + (now - launched) * (1 - math.sqrt(1 - rng.random()))  # earlier days busier
        ask = PledgeRequest(
            campaign_id=campaign.pk,
            reward_id=tier.pk,
            amount=tier.minimum + rng.choice((0, 0, 2, 5)),
            payment_method_id=card_payment_method(gateway, card),
        )
        pledge_create(backer=backer, ask=ask, now=at)
    return Campaign.objects.get(pk=campaign.pk)


def load_demo(*, live: bool = True) -> list[str]:
    """Everything above, once; what was loaded (nothing on a second run)."""
    loaded = []
    with advisory_lock(DEMO, 1):
        if campaign := load_amanda_palmer():
            percent = percent_funded(campaign.pledged, campaign.goal)
            loaded.append(f"{campaign.title}: {campaign.backers_count} backers, {percent}%")
            _analyze()  # before the next campaigns' queries join her ~25,000 pledges
        for spec in FINISHED:
            if campaign := load_finished(spec):
                loaded.append(f"{campaign.title}: {campaign.state}, {campaign.backers_count} backers")
        if live:
            for live_spec in LIVE:
                if campaign := load_live(live_spec):
                    loaded.append(f"{campaign.title}: live, {campaign.backers_count} backers")
        if loaded:
            _analyze()
    return loaded


def _analyze() -> None:
    """Fresh planner statistics for the tables COPY just filled (autovacuum would get there later)."""
    models = (
        get_user_model(),
        Campaign,
        RewardTier,
        Pledge,
        PledgeAddOn,
        Charge,
        LedgerEntry,
        ChargeFee,
        SurveyResponse,
        Fulfilment,
    )
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def launch_unattended(campaign: Campaign, *, now: datetime | None = None) -> Campaign:
    """Launch a scripted campaign (the demo's, the benchmark's) as production's rules let it: its
    creator, who never signs in, has a second factor (MFA_REQUIRED_FOR_CREATORS) and a payout
    account (PAYOUTS_REQUIRED_TO_LAUNCH), and the demo's reviewer approves it when
    CAMPAIGN_REVIEW_REQUIRED."""
    now = now or timezone.now()
    if settings.MFA_REQUIRED_FOR_CREATORS:
        mfa_enrol_unattended(user=campaign.creator)
    onboard_demo_creator(campaign.creator)
    if settings.CAMPAIGN_REVIEW_REQUIRED:
        _approve_unattended(campaign, now=now)
    return campaign_launch(campaign=campaign, now=now)


def _approve_unattended(campaign: Campaign, *, now: datetime) -> None:
    """CAMPAIGN_REVIEW_REQUIRED (the demo's default is off): the scripted campaigns go through the
    review the platform's staff would give them, approved by the demo's reviewer."""
    reviewer, created = User.objects.get_or_create(
        username="demo-reviewer", defaults={"email": "reviewer@pledgeboard.local", "is_staff": True}
    )
    if created:
        reviewer.set_unusable_password()  # never signs in
        reviewer.save(update_fields=["password"])
        reviewer.user_permissions.add(
            Permission.objects.get(content_type__app_label="campaigns", codename="review_campaign")
        )
        reviewer = User.objects.get(pk=reviewer.pk)  # permissions are cached on the instance
    campaign_review_submit(campaign=campaign, now=now)
    campaign_review_decide(campaign=campaign, reviewer=reviewer, approve=True, now=now)
