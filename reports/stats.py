"""Funding statistics of a campaign: money and backers per day, and a projection.

What is counted
    Every pledge whose card was confirmed (``activated_at`` set) and that the
    backer did not cancel: active, errored, collected, dropped, refunded and
    released pledges. These are exactly the pledges that moved the campaign's
    running total while it was live (a cancellation took its amount back out),
    so the cumulative series ends at ``Campaign.pledged`` - live or closed. Each
    pledge counts on the day (UTC) it was activated, at its current amount: we
    keep no history of amount changes, so a backer who raised a pledge on day 9
    shows the new amount on the day they first pledged. Pending pledges (card not
    confirmed yet) and expired ones never counted and are left out.

The projection (live campaigns only), in the style of the trackers creators use
(Kicktraq and friends)
    projected = pledged so far + daily rate * days remaining until the deadline

    * daily rate: the average pledged per day over the last (up to) 7 *complete*
      UTC days, leaving out the first ``LAUNCH_BUMP_DAYS`` days: most campaigns
      take a large share of their money in the first days (followers who were
      waiting for the launch), and averaging that bump in would overstate the
      rest of the run. Method ``recent_average``.
    * in the first days, before a complete day after the bump exists, the only
      trend is the bump itself: rate = pledged so far / days since launch (at
      least one day). Method ``since_launch``; it overestimates, so treat early
      projections as rough.
    * the end-of-campaign surge (the last 48 hours often bring as much as a
      middle week) is not added: the projection is deliberately on the low side
      until those days arrive and show up in the recent average.
    * finished campaigns: the projection is the final total (method ``final``);
      drafts have none.

The arithmetic is exact: amounts and durations (whole microseconds, never a float
of seconds) are combined as fractions, and only the results are rounded, half to
even, to the currency's minor unit (days remaining: to hundredths).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import cast

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from campaigns.models import Campaign
from core.money import currency_decimal_places, percent_funded
from pledges.models import Pledge

LAUNCH_BUMP_DAYS = 2
RATE_WINDOW_DAYS = 7
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Day:
    date: date
    pledged: Decimal
    backers: int
    cumulative: Decimal


@dataclass(frozen=True)
class Projection:
    method: str  # recent_average | since_launch | final
    daily_rate: Decimal | None
    window_start: date | None
    window_end: date | None
    days_remaining: Decimal
    projected_total: Decimal
    projected_percent: int

    @property
    def window_days(self) -> int:
        if self.window_start is None or self.window_end is None:
            return 0
        return (self.window_end - self.window_start).days + 1


@dataclass(frozen=True)
class CampaignStats:
    campaign: Campaign
    days: list[Day]
    total: Decimal
    backers: int
    projection: Projection | None


def counted_pledges(campaign: Campaign):
    return Pledge.objects.filter(campaign=campaign, activated_at__isnull=False).exclude(state=Pledge.State.CANCELED)


def _utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def _last_day(campaign: Campaign, now: datetime) -> date:
    ends = [moment for moment in (campaign.closed_at, campaign.canceled_at, campaign.deadline, now) if moment]
    return _utc_day(min(ends))


def campaign_stats(*, campaign: Campaign, now: datetime | None = None) -> CampaignStats:
    now = now or timezone.now()
    per_day = {
        row["day"]: (row["pledged"], row["backers"])
        for row in counted_pledges(campaign)
        .annotate(day=TruncDate("activated_at", tzinfo=UTC))
        .values("day")
        .annotate(pledged=Sum("amount"), backers=Count("id"))
        .order_by("day")
    }
    dates: list[date] = []
    if campaign.launched_at:
        day, last = _utc_day(campaign.launched_at), _last_day(campaign, now)
        while day <= last:
            dates.append(day)
            day += timedelta(days=1)
    dates = sorted(set(dates) | set(per_day))
    days, cumulative, backers = [], Decimal(0), 0
    for day in dates:
        pledged, new = per_day.get(day, (Decimal(0), 0))
        cumulative += pledged
        backers += new
        days.append(Day(date=day, pledged=campaign.money(pledged), backers=new, cumulative=campaign.money(cumulative)))
    total = campaign.money(cumulative)
    return CampaignStats(
        campaign=campaign, days=days, total=total, backers=backers, projection=project(campaign, days, total, now)
    )


def project(campaign: Campaign, days: list[Day], total: Decimal, now: datetime) -> Projection | None:
    if campaign.state == Campaign.State.DRAFT or campaign.launched_at is None:
        return None
    deadline = cast(datetime, campaign.deadline)  # a launched campaign has one
    if campaign.state != Campaign.State.LIVE or deadline <= now:
        return Projection(
            method="final",
            daily_rate=None,
            window_start=None,
            window_end=None,
            days_remaining=Decimal(0),
            projected_total=total,
            projected_percent=percent_funded(total, campaign.goal),
        )
    today = _utc_day(now)
    launch_day = _utc_day(campaign.launched_at)
    after_bump = [d for d in days if (d.date - launch_day).days >= LAUNCH_BUMP_DAYS and d.date < today]
    window = after_bump[-RATE_WINDOW_DAYS:]
    if window:
        method = "recent_average"
        rate = sum((Fraction(d.pledged) for d in window), Fraction(0)) / len(window)
        start, end = window[0].date, window[-1].date
    else:
        method = "since_launch"
        rate = Fraction(total) / max(_days(now - campaign.launched_at), Fraction(1))
        start, end = launch_day, today
    remaining = _days(deadline - now)
    places = currency_decimal_places(campaign.currency)
    projected = _rounded(Fraction(total) + rate * remaining, places)
    return Projection(
        method=method,
        daily_rate=_rounded(rate, places),
        window_start=start,
        window_end=end,
        days_remaining=_rounded(remaining, 2),
        projected_total=projected,
        projected_percent=percent_funded(projected, campaign.goal),
    )


def _days(duration: timedelta) -> Fraction:
    """A duration in days, exactly (timedelta.total_seconds() is a float)."""
    return Fraction(duration // timedelta(microseconds=1), ONE_DAY // timedelta(microseconds=1))


def _rounded(value: Fraction, places: int) -> Decimal:
    """The exact value rounded once, half to even, to ``places`` decimals."""
    return Decimal(round(value * 10**places)).scaleb(-places)
