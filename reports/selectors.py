"""Reads of the reports app. The reports themselves (backers, platform, stats) are reads too,
each in its own module; this holds the small queries the API and the admin need."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from campaigns.models import Campaign
from core.money import quantize
from core.permissions import EXPORT_BACKER_EMAILS, EXPORT_PLATFORM_REPORT, staff_may
from pledges.models import Charge, Pledge
from reports.models import ExportJob


def export_jobs_visible_to(user: User) -> QuerySet[ExportJob]:
    """The requester sees their own exports; staff see everyone's."""
    jobs = ExportJob.objects.select_related("campaign")
    return jobs if staff_may(user, "reports.view_exportjob") else jobs.filter(requested_by=user)


# What a staff member must hold to download someone else's export of each kind.
EXPORT_PERMISSIONS = {ExportJob.Kind.BACKERS: EXPORT_BACKER_EMAILS, ExportJob.Kind.CAMPAIGNS: EXPORT_PLATFORM_REPORT}


def export_jobs_downloadable_by(user: User) -> QuerySet[ExportJob]:
    """Requesters download their own files; staff the kinds of report they may export themselves
    (viewing the job list is not leave to take a file of backers' e-mail addresses)."""
    kinds = [kind for kind, permission in EXPORT_PERMISSIONS.items() if staff_may(user, permission)]
    return ExportJob.objects.filter(Q(requested_by=user) | Q(kind__in=kinds))


@dataclass(frozen=True)
class CurrencyTotals:
    """One currency's money, from the campaign rows' running totals (kept exact by the services)."""

    currency: str
    campaigns: int
    pledged: Decimal  # every launched campaign's total, as its page shows it (frozen at close)
    pledged_live: Decimal  # of which to campaigns still taking pledges
    collected: Decimal
    refunded: Decimal

    @property
    def net_collected(self) -> Decimal:
        return self.collected - self.refunded


@dataclass(frozen=True)
class PlatformTotals:
    at: datetime
    campaigns_by_state: dict[str, int]  # every state, in the order of Campaign.State, zeros included
    money: list[CurrencyTotals]  # one per currency, by code: amounts are never added across currencies
    backers: int  # people with a pledge that stands (active, errored or collected)
    pledges_last_24h: int  # pledges made in the last 24 hours, whatever became of them
    charges_failed: int
    charges_requiring_action: int
    pledges_errored: int  # awaiting a retry or a new card


def platform_totals(*, now: datetime | None = None) -> PlatformTotals:
    """The admin dashboard's figures: a handful of aggregate queries, none summing pledges for money."""
    now = now or timezone.now()
    by_state = dict(Campaign.objects.values_list("state").annotate(n=Count("id")).order_by())
    money = [
        CurrencyTotals(
            currency=row["currency"],
            campaigns=row["campaigns"],
            pledged=quantize(row["sum_pledged"], row["currency"]),
            pledged_live=quantize(row["sum_pledged_live"] or Decimal(0), row["currency"]),
            collected=quantize(row["sum_collected"], row["currency"]),
            refunded=quantize(row["sum_refunded"], row["currency"]),
        )
        for row in Campaign.objects.exclude(state=Campaign.State.DRAFT)
        .values("currency")
        .annotate(
            campaigns=Count("id"),
            sum_pledged=Sum("pledged"),
            sum_pledged_live=Sum("pledged", filter=Q(state=Campaign.State.LIVE)),
            sum_collected=Sum("collected"),
            sum_refunded=Sum("refunded"),
        )
        .order_by("currency")
    ]
    charges = Charge.objects.aggregate(
        failed=Count("id", filter=Q(state=Charge.State.FAILED)),
        requiring_action=Count("id", filter=Q(state=Charge.State.REQUIRES_ACTION)),
    )
    pledges = Pledge.objects.aggregate(
        backers=Count("backer", distinct=True, filter=Q(state__in=Pledge.BACKER_STATES)),
        last_24h=Count("id", filter=Q(created_at__gt=now - timedelta(hours=24))),
        errored=Count("id", filter=Q(state=Pledge.State.ERRORED)),
    )
    return PlatformTotals(
        at=now,
        campaigns_by_state={state: by_state.get(state, 0) for state in Campaign.State.values},
        money=money,
        backers=pledges["backers"],
        pledges_last_24h=pledges["last_24h"],
        charges_failed=charges["failed"],
        charges_requiring_action=charges["requiring_action"],
        pledges_errored=pledges["errored"],
    )
