from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from campaigns.services import campaign_launch
from pledges.services import pledge_cancel
from reports.stats import campaign_stats
from tests import factories
from tests.conftest import client_for
from tests.support.api import assert_error
from tests.support.books import build_books

pytestmark = pytest.mark.django_db

LAUNCH = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def _campaign(*, launch: datetime = LAUNCH, days: int = 30, goal: str = "1000.00", currency: str = "USD"):
    with time_machine.travel(launch, tick=False):
        campaign = factories.DraftCampaignFactory(goal=Decimal(goal), days=days, currency=currency)
        return campaign_launch(campaign=campaign, now=launch)


def _day(k: int) -> datetime:
    return LAUNCH + timedelta(days=k, hours=1)


@pytest.fixture
def trending():
    """Ten days into a 30-day campaign: a launch bump, a quiet middle, a pledge today."""
    campaign = _campaign()
    for day, amount in [(0, "100.00"), (0, "50.00"), (1, "80.00"), (2, "10.00"), (3, "20.00"), (5, "40.00")]:
        factories.PledgeFactory(campaign=campaign, amount=amount, now=_day(day))
    withdrawn = factories.PledgeFactory(campaign=campaign, amount="30.00", now=_day(4))
    pledge_cancel(pledge=withdrawn, now=_day(4) + timedelta(hours=2))
    factories.PledgeFactory(
        campaign=campaign, amount="999.00", now=_day(6), card=None
    )  # pending: the card was never confirmed
    factories.PledgeFactory(campaign=campaign, amount="70.00", now=_day(9))
    factories.PledgeFactory(campaign=campaign, amount="5.00", now=_day(10) - timedelta(minutes=30))
    campaign.refresh_from_db()
    return campaign


def test_days_count_confirmed_pledges_the_backers_did_not_withdraw(trending):
    now = LAUNCH + timedelta(days=10)

    stats = campaign_stats(campaign=trending, now=now)

    days = [(d.date.isoformat(), str(d.pledged), d.backers, str(d.cumulative)) for d in stats.days]
    assert days == [
        ("2030-01-01", "150.00", 2, "150.00"),
        ("2030-01-02", "80.00", 1, "230.00"),
        ("2030-01-03", "10.00", 1, "240.00"),
        ("2030-01-04", "20.00", 1, "260.00"),
        ("2030-01-05", "0.00", 0, "260.00"),
        ("2030-01-06", "40.00", 1, "300.00"),
        ("2030-01-07", "0.00", 0, "300.00"),
        ("2030-01-08", "0.00", 0, "300.00"),
        ("2030-01-09", "0.00", 0, "300.00"),
        ("2030-01-10", "70.00", 1, "370.00"),
        ("2030-01-11", "5.00", 1, "375.00"),
    ]
    assert stats.total == trending.pledged == Decimal("375.00")
    assert stats.backers == trending.backers_count == 8


def test_projection_averages_the_last_seven_complete_days_after_the_launch_bump(trending):
    now = LAUNCH + timedelta(days=10)

    projection = campaign_stats(campaign=trending, now=now).projection

    # Days 3..9 (Jan 4-10) brought 20 + 40 + 70 = 130: 18.5714… a day, for the 20 days left.
    assert projection.method == "recent_average"
    assert (projection.window_start.isoformat(), projection.window_end.isoformat()) == ("2030-01-04", "2030-01-10")
    assert projection.window_days == 7
    assert projection.daily_rate == Decimal("18.57")
    assert projection.days_remaining == Decimal("20.00")
    assert projection.projected_total == Decimal("746.43")  # 375 + 130 / 7 * 20
    assert projection.projected_percent == 74


def test_in_the_first_days_the_projection_uses_the_average_since_launch():
    campaign = _campaign()
    factories.PledgeFactory(campaign=campaign, amount="100.00", now=LAUNCH + timedelta(hours=2))
    campaign.refresh_from_db()

    six_hours = campaign_stats(campaign=campaign, now=LAUNCH + timedelta(hours=6)).projection
    day_and_a_half = campaign_stats(campaign=campaign, now=LAUNCH + timedelta(days=1, hours=12)).projection

    # Less than a day in: the rate is the total per (at least) one day.
    assert (six_hours.method, six_hours.daily_rate) == ("since_launch", Decimal("100.00"))
    assert six_hours.projected_total == Decimal("3075.00")  # 100 + 100 * 29.75
    assert (day_and_a_half.method, day_and_a_half.daily_rate) == ("since_launch", Decimal("66.67"))
    assert day_and_a_half.projected_total == Decimal("2000.00")  # 100 + 100 / 1.5 * 28.5


def test_the_projection_is_exact_to_the_currency_s_minor_unit():
    campaign = _campaign(goal="10000000", currency="JPY")
    factories.PledgeFactory(campaign=campaign, amount="864000", now=LAUNCH + timedelta(hours=1))
    campaign.refresh_from_db()
    now = LAUNCH + timedelta(hours=6, milliseconds=150)

    projection = campaign_stats(campaign=campaign, now=now).projection

    # Less than a day in, the rate is the total per day: 864000 yen for the 2,570,399.85 seconds
    # left (86,400 a day) add 25,703,998.5 exactly. Half a yen rounds to the even 26,567,998;
    # seconds taken as a float (.85 is not one) round it the other way.
    assert projection.method == "since_launch"
    assert projection.daily_rate == Decimal("864000")
    assert projection.projected_total == Decimal("26567998")
    assert projection.projected_total.as_tuple().exponent == 0
    assert projection.days_remaining == Decimal("29.75")
    assert projection.projected_percent == 265


def test_the_api_returns_the_series_and_the_projection(trending, api_client):
    with time_machine.travel(LAUNCH + timedelta(days=10), tick=False):
        response = api_client.get(f"/api/campaigns/{trending.pk}/stats/")

    assert response.status_code == 200
    body = response.json()
    assert (body["pledged"], body["backers"], body["percent_funded"], body["goal"]) == ("375.00", 8, 37, "1000.00")
    assert body["days"][0] == {"date": "2030-01-01", "pledged": "150.00", "backers": 2, "cumulative": "150.00"}
    assert body["days"][-1]["cumulative"] == "375.00"
    assert body["projection"] == {
        "method": "recent_average",
        "daily_rate": "18.57",
        "window_start": "2030-01-04",
        "window_end": "2030-01-10",
        "window_days": 7,
        "days_remaining": "20.00",
        "projected_total": "746.43",
        "projected_percent": 74,
        "reaches_goal": False,
    }


def test_finished_campaigns_project_their_final_total_and_every_series_ends_at_the_total(staff):
    books = build_books(staff=staff)

    for name, campaign in books.by_state.items():
        stats = campaign_stats(campaign=campaign)
        assert stats.total == campaign.pledged, name
        if stats.days:
            assert stats.days[-1].cumulative == campaign.pledged, name
        if name == "draft":
            assert stats.projection is None and stats.days == []
        elif name == "live":
            assert stats.projection.method == "since_launch"
        else:
            assert stats.projection.method == "final", name
            assert stats.projection.projected_total == campaign.pledged, name
    assert campaign_stats(campaign=books.by_state["successful"]).total == Decimal("89.55")


def test_stats_are_for_whoever_can_see_the_campaign(live_campaign, api_client):
    draft = factories.DraftCampaignFactory()

    assert api_client.get(f"/api/campaigns/{live_campaign.pk}/stats/").status_code == 200
    assert_error(api_client.get(f"/api/campaigns/{draft.pk}/stats/"), 404)
    assert_error(client_for(factories.UserFactory()).get(f"/api/campaigns/{draft.pk}/stats/"), 404)
    response = client_for(draft.creator).get(f"/api/campaigns/{draft.pk}/stats/")
    assert response.status_code == 200
    assert (response.json()["days"], response.json()["projection"]) == ([], None)
