"""The platform's revenue by month and currency, from the payouts ledger: the platform fees taken
at collection less what refunds returned, and the processing fees the provider kept. Currencies
are never added together."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from core.money import quantize
from payouts.models import LedgerEntry
from reports.writers import Report, Section

Kind = LedgerEntry.Kind
ZERO = Decimal(0)
REVENUE_HEADER = [
    "Month",
    "Currency",
    "Charges",
    "Gross Collected",
    "Platform Fees",
    "Platform Fees Returned",
    "Net Platform Revenue",
    "Processing Fees",
]


def _rows() -> Iterator[list[Any]]:
    months = (
        LedgerEntry.objects.annotate(month=TruncMonth("created_at"))
        .values("month", "currency")
        .annotate(
            charges=Count("pk", filter=Q(kind=Kind.CHARGE_COLLECTED)),
            gross=Sum("amount", filter=Q(kind=Kind.CHARGE_COLLECTED)),
            fees=Sum("amount", filter=Q(kind=Kind.PLATFORM_FEE)),
            returned=Sum("amount", filter=Q(kind=Kind.PLATFORM_FEE_REFUND)),
            processing=Sum("amount", filter=Q(kind=Kind.PROCESSING_FEE)),
        )
        .order_by("month", "currency")
    )
    for row in months:
        currency = row["currency"]
        fees, returned = -(row["fees"] or ZERO), row["returned"] or ZERO
        yield [
            row["month"].strftime("%Y-%m"),
            currency,
            row["charges"],
            quantize(row["gross"] or ZERO, currency),
            quantize(fees, currency),
            quantize(returned, currency),
            quantize(fees - returned, currency),
            quantize(-(row["processing"] or ZERO), currency),
        ]


def revenue_report() -> Report:
    return Report(name="platform-revenue", sections=[Section(title="Revenue", header=REVENUE_HEADER, rows=_rows())])
