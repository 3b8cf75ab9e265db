"""The platform report for staff: one row per campaign, then a summary by month and state.

Money comes from the campaign rows' running totals (``pledged``, ``collected``,
``refunded``), which the services keep exact; nothing is re-summed from pledges.

* Platform fee: ``PLATFORM_FEE_PERCENT`` of the net collected (collected minus
  refunded), rounded half-up to the currency's minor unit, per campaign. Failed,
  canceled and live campaigns have collected nothing, so their fee is 0.
* Summary month: the month (UTC) the campaign ended or is due to end: ``closed_at``
  for successful and failed campaigns, ``canceled_at`` for canceled ones, the
  deadline for live ones and drafts, else (a draft without a deadline) the month
  it was created. Summary rows are per month, state *and currency*: amounts in
  different currencies are never added together. A summary's fee is the sum of its
  campaigns' rounded fees, so the summary adds up to the rows above it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from core.errors import InvalidInput
from core.money import currency_decimal_places, percent_funded, quantize
from reports.writers import Report, Section

FETCH_ROWS = 1000

CAMPAIGN_HEADER = [
    "Campaign ID",
    "Title",
    "Creator",
    "State",
    "Funding Model",
    "Currency",
    "Goal",
    "Pledged",
    "Collected",
    "Refunded",
    "Net Collected",
    "Platform Fee",
    "Backers",
    "Percent Funded",
    "Launched At",
    "Deadline",
    "Closed At",
]
SUMMARY_TITLE = "Summary by month and state"
SUMMARY_HEADER = [
    "Month",
    "State",
    "Currency",
    "Campaigns",
    "Goal",
    "Pledged",
    "Collected",
    "Refunded",
    "Net Collected",
    "Platform Fee",
    "Backers",
]


def platform_fee(net_collected: Decimal, currency: str) -> Decimal:
    """PLATFORM_FEE_PERCENT of the net collected, half-up to the currency's minor unit."""
    exact = net_collected * Decimal(settings.PLATFORM_FEE_PERCENT) / Decimal(100)
    return exact.quantize(Decimal(1).scaleb(-currency_decimal_places(currency)), rounding=ROUND_HALF_UP)


def report_month(*, closed_at, canceled_at, deadline, created_at) -> str:
    moment = closed_at or canceled_at or deadline or created_at
    return moment.astimezone(UTC).strftime("%Y-%m")


def parse_states(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    states = tuple(sorted({part.strip().lower() for part in value.split(",") if part.strip()}))
    unknown = [s for s in states if s not in Campaign.State.values]
    if unknown:
        choices = ", ".join(Campaign.State.values)
        raise InvalidInput(
            _("Unknown campaign state %(state)r; one of %(choices)s.") % {"state": unknown[0], "choices": choices},
            code="invalid_state",
        )
    return states


def campaigns_for_report(states: tuple[str, ...] = ()) -> QuerySet[Campaign]:
    campaigns = Campaign.objects.all()
    return campaigns.filter(state__in=states) if states else campaigns


@dataclass
class _Totals:
    campaigns: int = 0
    goal: Decimal = Decimal(0)
    pledged: Decimal = Decimal(0)
    collected: Decimal = Decimal(0)
    refunded: Decimal = Decimal(0)
    net: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)
    backers: int = 0


_FIELDS = (
    "pk",
    "title",
    "creator__username",
    "state",
    "funding_model",
    "currency",
    "goal",
    "pledged",
    "collected",
    "refunded",
    "backers_count",
    "launched_at",
    "deadline",
    "closed_at",
    "canceled_at",
    "created_at",
)


def _campaign_rows(campaigns: QuerySet[Campaign], summary: dict) -> Iterator[list[Any]]:
    rows = campaigns.order_by("pk").values_list(*_FIELDS)
    for row in rows.iterator(chunk_size=FETCH_ROWS):
        pk, title, creator, state, model, currency, goal, pledged, collected, refunded, backers, *dates = row
        launched_at, deadline, closed_at, canceled_at, created_at = dates
        goal, pledged = quantize(goal, currency), quantize(pledged, currency)
        collected, refunded = quantize(collected, currency), quantize(refunded, currency)
        net = collected - refunded
        fee = platform_fee(net, currency)
        month = report_month(closed_at=closed_at, canceled_at=canceled_at, deadline=deadline, created_at=created_at)
        totals = summary[(month, state, currency)]
        totals.campaigns += 1
        totals.goal += goal
        totals.pledged += pledged
        totals.collected += collected
        totals.refunded += refunded
        totals.net += net
        totals.fee += fee
        totals.backers += backers
        yield [
            pk,
            title,
            creator,
            state,
            model,
            currency,
            goal,
            pledged,
            collected,
            refunded,
            net,
            fee,
            backers,
            percent_funded(pledged, goal),
            launched_at,
            deadline,
            closed_at or canceled_at,
        ]


def _summary_rows(summary: dict) -> Iterator[list[Any]]:
    """Runs only once the campaign rows have been read (a generator body starts on first next())."""
    for (month, state, currency), t in sorted(summary.items()):
        yield [
            month,
            state,
            currency,
            t.campaigns,
            t.goal,
            t.pledged,
            t.collected,
            t.refunded,
            t.net,
            t.fee,
            t.backers,
        ]


def platform_report(campaigns: QuerySet[Campaign] | None = None) -> Report:
    campaigns = Campaign.objects.all() if campaigns is None else campaigns
    summary: dict = defaultdict(_Totals)
    return Report(
        name="campaigns",
        sections=[
            Section(title="Campaigns", header=CAMPAIGN_HEADER, rows=_campaign_rows(campaigns, summary)),
            Section(title=SUMMARY_TITLE, header=SUMMARY_HEADER, rows=_summary_rows(summary), counted=False),
        ],
        rows_total=campaigns.count(),
    )
