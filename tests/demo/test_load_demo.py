"""The demo's data: Amanda Palmer's campaign as it ended, loaded once, exact to the cent."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import CharField, Count, F, Max, Sum, Value
from django.db.models.functions import Cast, Concat
from django.test import Client, override_settings

from accounts.mfa import mfa_enabled
from campaigns.models import Campaign
from campaigns.services import categories_install
from community.models import Comment
from fulfilment.addresses import validate_address
from fulfilment.models import Fulfilment, Survey, SurveyResponse
from pledges.models import Charge, Pledge, PledgeAddOn
from reports.stats import campaign_stats
from rewards.models import AddOn, RewardTier, ShippingRule
from rewards.services import shipping_price
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

# Her campaign's public figures, written out here rather than read from the loader.
HER_TOTAL = Decimal("1192793")
HER_BACKERS = 24883
HER_GOAL = Decimal("100000")
HER_LAUNCH = datetime(2012, 4, 30, tzinfo=UTC)
# The demo's illustrative figures (docs/development.md, "Demo data"), written out here too.
PHYSICAL_BACKERS = 7_500 + 3_200 + 2_000 + 300 + 300 + 20  # CD, vinyl, book, signed book, party, photo book
ANSWERED = 11_322  # 85 % of them, rounded down
SHIPPED_ONLY, DELIVERED, RECEIVED = 3_996, 1_998, 1_998  # 7,992 = 60 % of them
POSTERS = 1_000


def her_campaign() -> Campaign:
    return Campaign.objects.get(title="The new RECORD, ART BOOK, and TOUR", creator__username="amanda")


def fingerprint() -> dict:
    """Everything a second load could have changed."""
    return {
        "users": get_user_model().objects.count(),
        "campaigns": list(Campaign.objects.order_by("pk").values_list("pk", "pledged", "backers_count", "updated_at")),
        "tiers": list(RewardTier.objects.order_by("pk").values_list("pk", "claimed")),
        "pledges": Pledge.objects.aggregate(n=Count("id"), total=Sum("amount"), last=Max("updated_at")),
        "charges": Charge.objects.aggregate(n=Count("id"), total=Sum("amount")),
        "shipping": list(
            Pledge.objects.values_list("shipping_country")
            .annotate(n=Count("id"), s=Sum("shipping_amount"))
            .order_by("shipping_country")
        ),
        "rules": ShippingRule.objects.count(),
        "add_ons": list(AddOn.objects.order_by("pk").values_list("pk", "claimed")),
        "add_on_lines": PledgeAddOn.objects.count(),
        "surveys": list(Survey.objects.values_list("pk", "state", "updated_at")),
        "responses": SurveyResponse.objects.aggregate(n=Count("id"), last=Max("updated_at")),
        "fulfilments": list(Fulfilment.objects.values_list("status").annotate(n=Count("id")).order_by("status")),
        "comments": Comment.objects.count(),
    }


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Loaded once for the module (24,883 backers take seconds), inside a transaction rolled back
    when the module ends: each test's own transaction nests in it, so every test sees the data
    as loaded and nothing is left behind."""
    # The demo's own default (devstack): launches without review. Function-scoped settings
    # fixtures do not reach a module fixture, so it is set here.
    with django_db_blocker.unblock(), override_settings(CAMPAIGN_REVIEW_REQUIRED=False), transaction.atomic():
        # A transactional test before this module flushes the data migration's categories.
        categories_install()
        out = StringIO()
        call_command("load_demo", stdout=out)
        print(out.getvalue().splitlines()[-1])
        # Its foreign keys are checked here, once. Left deferred, the checks of its ~100,000 rows
        # would be pending in every test: each test's teardown checks the constraints (as Django's
        # TestCase does) inside its savepoint, whose rollback makes them pending again (8-14 s each).
        connection.check_constraints()
        yield
        transaction.set_rollback(True)


def test_her_pledges_and_charges_add_up_exactly_to_the_public_total(demo):
    campaign = her_campaign()
    pledges = Pledge.objects.filter(campaign=campaign)

    assert pledges.count() == HER_BACKERS
    assert pledges.aggregate(total=Sum("amount"))["total"] == HER_TOTAL
    assert set(pledges.values_list("state", flat=True)) == {Pledge.State.COLLECTED}
    assert campaign.pledged == campaign.collected == HER_TOTAL
    assert campaign.backers_count == campaign.collected_count == HER_BACKERS
    assert campaign.state == Campaign.State.SUCCESSFUL
    assert campaign.goal == HER_GOAL
    assert (campaign.launched_at.date(), campaign.deadline.date()) == (HER_LAUNCH.date(), datetime(2012, 5, 31).date())
    # One backer, one pledge: every backer is a distinct user.
    assert pledges.values("backer").distinct().count() == HER_BACKERS
    # Every pledge has its one succeeded charge of the same amount.
    charges = Charge.objects.filter(pledge__campaign=her_campaign())

    assert charges.count() == HER_BACKERS
    assert charges.aggregate(total=Sum("amount"))["total"] == HER_TOTAL
    assert set(charges.values_list("state", flat=True)) == {Charge.State.SUCCEEDED}
    assert not charges.exclude(amount=F("pledge__amount")).exists()
    key = Concat(Value("pledge:"), Cast("pledge_id", CharField()), Value(":charge:1"))
    assert not charges.exclude(idempotency_key=key).exists()
    assert charges.values("pledge").distinct().count() == HER_BACKERS


def test_tiers_hold_their_backers_within_their_limits_and_minimums(demo):
    campaign = her_campaign()
    tiers = {tier.title: tier for tier in campaign.rewards.annotate(n=Count("pledges"))}

    for tier in tiers.values():
        assert tier.claimed == tier.n
        if tier.limit is not None:
            assert tier.n <= tier.limit
        below = Pledge.objects.filter(reward=tier, amount__lt=tier.minimum)
        assert not below.exists(), tier.title
    # The tiers known from public sources, at their prices and limits.
    known = {
        (t.minimum, t.limit)
        for t in tiers.values()
        if "public page" in t.description and "Illustrative" not in t.description
    }
    assert known == {
        (Decimal("1"), None),
        (Decimal("25"), None),
        (Decimal("300"), None),
        (Decimal("1000"), None),
        (Decimal("5000"), 35),
        (Decimal("10000"), 1),
    }
    assert "6 cities" in tiers["Backers-only art party"].description
    assert "Kyle Cassidy" in tiers["Photo book by Kyle Cassidy and Neil Gaiman"].description
    # Every other tier says it is illustrative.
    others = [t for t in tiers.values() if (t.minimum, t.limit) not in known]
    assert others and all("Illustrative" in t.description for t in others)
    assert tiers["House party"].remaining == 0


def test_she_is_shown_at_1192_percent_with_the_burst_on_her_chart(demo, api_client):
    campaign = her_campaign()

    detail = api_client.get(f"/api/campaigns/{campaign.pk}/").json()
    page = api_client.get(f"/campaigns/{campaign.slug}/")

    assert detail["percent_funded"] == 1192
    assert detail["pledged"] == "1192793.00"
    assert detail["backers_count"] == HER_BACKERS
    assert page.status_code == 200
    assert re.search(r"1,?192%", page.content.decode())
    # Her chart: the burst of the first day.
    stats = campaign_stats(campaign=campaign)
    first_day = Pledge.objects.filter(campaign=campaign, activated_at__lt=campaign.launched_at + timedelta(days=1))

    assert stats.total == HER_TOTAL and stats.backers == HER_BACKERS
    assert stats.days[0].date == HER_LAUNCH.date()
    assert stats.days[-1].cumulative == HER_TOTAL
    # The goal passed on the first day, within hours of the launch.
    assert stats.days[0].cumulative >= HER_GOAL
    assert campaign.launched_at < campaign.funded_at < campaign.launched_at + timedelta(hours=12)
    # Front-loaded: the first day brought more backers than any two other days, and the middle
    # of the campaign far fewer than its start.
    assert stats.days[0].backers > 2 * max(day.backers for day in stats.days[1:])
    assert stats.days[0].backers > 10 * stats.days[15].backers
    assert first_day.count() > HER_BACKERS * 0.3


def test_a_second_load_changes_nothing_and_others_have_campaigns_too(demo):
    before = fingerprint()

    call_command("load_demo", stdout=StringIO())

    assert fingerprint() == before
    # Other creators have live and finished campaigns.
    others = Campaign.objects.exclude(creator__username="amanda")
    states = dict(others.values_list("state").annotate(n=Count("id")))

    assert states == {Campaign.State.LIVE: 2, Campaign.State.SUCCESSFUL: 1, Campaign.State.FAILED: 1}
    for campaign in others:
        counted = Pledge.objects.filter(campaign=campaign, state__in=(*Pledge.BACKER_STATES, Pledge.State.RELEASED))
        assert counted.aggregate(total=Sum("amount"))["total"] == campaign.pledged
        assert counted.count() == campaign.backers_count
    live = others.filter(state=Campaign.State.LIVE)
    # Live ones pledged through the real services: active pledges with a card saved at the provider.
    pledges = Pledge.objects.filter(campaign_id__in=list(live.values_list("id", flat=True)))
    assert pledges.exists() and set(pledges.values_list("state", flat=True)) == {Pledge.State.ACTIVE}
    assert all(p.payment_method_id.startswith("pm_") for p in pledges)


@pytest.mark.mfa
def test_the_demo_loads_when_creators_must_have_two_factor_sign_in(db):
    """MFA_REQUIRED_FOR_CREATORS in the environment wins over the demo's default (off): the demo's
    scripted creators get a device, so their campaigns still launch through the launch service."""
    call_command("load_demo", stdout=StringIO())

    live = Campaign.objects.filter(state=Campaign.State.LIVE).select_related("creator")
    assert live.count() == 2
    assert all(mfa_enabled(campaign.creator) for campaign in live)


@pytest.mark.review_required
def test_a_live_demo_campaign_passes_review_when_it_is_required(db, settings):
    """CAMPAIGN_REVIEW_REQUIRED in the environment wins over the demo's default (off): a scripted
    live campaign is submitted and approved by the demo's reviewer, then launched by the service."""
    from demo.services import Live, load_live

    # Set here: the module's demo fixture, when loaded first, keeps the demo's default (off) on.
    settings.CAMPAIGN_REVIEW_REQUIRED = True

    spec = Live(
        slug_title="A reviewed demo",
        creator="reviewed-creator",
        description="Demo data.",
        goal=Decimal("100"),
        days_ago=1,
        days_left=10,
        tiers=(("Thanks", Decimal("5"), None),),
        backers=1,
    )

    campaign = load_live(spec)

    campaign.refresh_from_db()
    assert (campaign.state, campaign.review_state) == (Campaign.State.LIVE, Campaign.Review.APPROVED)
    assert campaign.reviewed_by.username == "demo-reviewer"
    assert not campaign.reviewed_by.has_usable_password()


def test_her_statement_shows_the_fees_and_one_completed_transfer(demo):
    campaign = her_campaign()
    amounts = Pledge.objects.filter(campaign=campaign).values_list("amount", flat=True)
    # Stripe's US card pricing, which the Connect emulator charges: 2.9 % (half up to the cent) + $0.30.
    processing = sum(
        ((a * Decimal("0.029")).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP") + Decimal("0.30") for a in amounts),
        Decimal(0),
    )
    net = HER_TOTAL - Decimal("59639.65") - processing

    body = client_for(campaign.creator).get(f"/api/campaigns/{campaign.pk}/statement/").json()
    browser = Client()
    browser.force_login(campaign.creator)
    page = browser.get(f"/studio/{campaign.slug}/statement/").content.decode()

    assert (body["gross"], body["platform_fee"], body["refunded"]) == ("1192793.00", "59639.65", "0.00")
    assert (body["processing_fees"], body["net"]) == (str(processing), str(net))
    assert (body["transferred"], body["balance"]) == (str(net), "0.00")
    [transfer] = body["transfers"]
    assert (transfer["kind"], transfer["state"], transfer["amount"]) == ("transfer", "sent", str(net))
    assert "$1,192,793.00" in page and "$59,639.65" in page
    assert campaign.creator.payout_account.payouts_enabled


def test_her_physical_tiers_ship_by_region_and_each_pledge_pays_its_rule(demo):
    campaign = her_campaign()
    tiers = {tier.title: tier for tier in campaign.rewards.all()}
    physical = [t for t in tiers.values() if t.ships]
    tiers_by_id = {tier.pk: tier for tier in physical}
    pledges = Pledge.objects.filter(campaign=campaign)

    assert {t.title for t in physical} == {
        "CD",
        "Vinyl and CD",
        "The art book",
        "Signed art book and a thank-you in it",
        "Backers-only art party",
        "Photo book by Kyle Cassidy and Neil Gaiman",
    }
    assert all("Shipping prices are illustrative" in t.description for t in physical)
    # The prices the docs give, through the platform's own rule resolution (a country rule
    # beats a region, the EU beats Europe, the rest of the world catches the others).
    cd, vinyl, book = tiers["CD"], tiers["Vinyl and CD"], tiers["The art book"]
    expected = {
        (cd, "US"): "5",
        (cd, "CA"): "8",
        (cd, "DE"): "12",
        (cd, "GB"): "14",
        (cd, "AU"): "15",
        (vinyl, "US"): "8",
        (vinyl, "FR"): "16",
        (vinyl, "JP"): "20",
        (book, "MX"): "15",
        (book, "NO"): "20",
        (book, "NZ"): "22",
    }
    for (tier, country), price in expected.items():
        assert shipping_price(reward=tier, country=country) == Decimal(price), (tier.title, country)
    # Every physical pledge has a destination and paid that destination's rule; digital ones none.
    on_physical = pledges.filter(reward__ships=True)
    assert on_physical.count() == PHYSICAL_BACKERS
    assert not on_physical.filter(shipping_country="").exists()
    assert not pledges.exclude(reward__ships=True).exclude(shipping_country="", shipping_amount=0).exists()
    # order_by(): the model's ordering would make each pledge a row of the DISTINCT (13,000 of them).
    by_rule = on_physical.order_by().values_list("reward", "shipping_country", "shipping_amount").distinct()
    assert len(by_rule) <= len(physical) * 14  # 14 destinations (below)
    for reward_id, country, amount in by_rule:
        assert amount == shipping_price(reward=tiers_by_id[reward_id], country=country)
    # The destinations are mostly the US, with the rest of the world well represented.
    us = on_physical.filter(shipping_country="US").count()
    assert PHYSICAL_BACKERS * 0.45 < us < PHYSICAL_BACKERS * 0.65
    assert on_physical.values("shipping_country").distinct().count() == 14


def test_the_poster_add_on_is_in_the_amounts_that_still_add_up_to_the_total(demo):
    campaign = her_campaign()
    [poster] = campaign.add_ons.all()
    lines = PledgeAddOn.objects.filter(add_on=poster)

    assert (poster.price, poster.claimed, lines.count()) == (Decimal("20"), POSTERS, POSTERS)
    assert set(lines.values_list("quantity", "unit_price")) == {(1, Decimal("20"))}
    assert not lines.exclude(pledge__reward__ships=True).exists()
    assert set(poster.tiers.values_list("ships", flat=True)) == {True}
    # Each pledge covers its tier's minimum, its shipping and its add-on; all of them the total.
    short = Pledge.objects.filter(campaign=campaign, reward__isnull=False).exclude(
        amount__gte=F("reward__minimum") + F("shipping_amount")
    )
    assert not short.exists()
    with_poster = Pledge.objects.filter(add_on_lines__add_on=poster)
    assert not with_poster.exclude(amount__gte=F("reward__minimum") + F("shipping_amount") + 20).exists()
    assert Pledge.objects.filter(campaign=campaign).aggregate(t=Sum("amount"))["t"] == HER_TOTAL


def test_her_survey_is_mostly_answered_with_valid_addresses_and_partly_fulfilled(demo):
    campaign = her_campaign()
    survey = campaign.survey
    responses = SurveyResponse.objects.filter(survey=survey).select_related("pledge")

    assert survey.state == Survey.State.SENT and survey.sent_at > campaign.closed_at
    assert survey.lock_at > survey.sent_at
    assert responses.count() == ANSWERED
    assert not responses.exclude(pledge__reward__ships=True).exists()
    assert not responses.exclude(country=F("pledge__shipping_country")).exists()
    # One address of each country, checked by the country's format as the survey page does.
    fields = ("name", "address1", "address2", "city", "state", "postal_code", "country", "phone")
    one_each = list(
        responses.order_by("country", "pk")
        .distinct("country")
        .values(*fields, "pledge__backer__first_name", "pledge__backer__last_name")
    )
    assert len(one_each) == 14
    for row in one_each:
        address = validate_address({f: row[f] for f in fields})
        assert address.country == row["country"]
        assert row["name"] == f"{row['pledge__backer__first_name']} {row['pledge__backer__last_name']}"
    # The signed book's backers gave the name to print.
    [question] = survey.questions.all()
    signed = responses.filter(pledge__reward=question.tier)
    assert signed.exists()
    assert all(r.answers == {str(question.pk): r.name} for r in signed)
    # Fulfilment: shipped (with carrier and tracking), delivered, received; the rest no row yet.
    fulfilments = Fulfilment.objects.filter(pledge__campaign=campaign)
    counts = dict(fulfilments.values_list("status").annotate(n=Count("id")))

    assert counts == {
        Fulfilment.Status.SHIPPED: SHIPPED_ONLY,
        Fulfilment.Status.DELIVERED: DELIVERED,
        Fulfilment.Status.RECEIVED: RECEIVED,
    }
    assert not fulfilments.filter(tracking_number="").exists() and not fulfilments.filter(carrier="").exists()
    assert not fulfilments.filter(pledge__survey_response__isnull=True).exists()
    assert not fulfilments.exclude(status=Fulfilment.Status.SHIPPED).filter(delivered_at__isnull=True).exists()
    unfulfilled = Pledge.objects.filter(campaign=campaign, reward__ships=True, fulfilment__isnull=True)
    assert unfulfilled.count() == PHYSICAL_BACKERS - SHIPPED_ONLY - DELIVERED - RECEIVED


def test_her_page_has_comments_with_her_replies_marked_and_her_category(demo, api_client):
    campaign = her_campaign()
    comments = Comment.objects.filter(campaign=campaign)

    assert comments.count() == 5
    replies = comments.filter(parent__isnull=False)
    assert replies.count() == 2
    assert set(replies.values_list("by_creator", "author__username")) == {(True, "amanda")}
    assert not comments.filter(parent__isnull=True, by_creator=True).exists()
    assert campaign.category.slug == "albums"
