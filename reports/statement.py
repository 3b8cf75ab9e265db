"""A campaign's statement as a report (CSV/XLSX): the totals, then every transfer."""

from __future__ import annotations

from core.money import quantize
from payouts.selectors import Statement
from reports.writers import Report, Section

SUMMARY_HEADER = ["Item", "Amount", "Currency"]
TRANSFER_HEADER = ["Kind", "Amount", "Currency", "State", "Reason", "Provider ID", "Created At", "Sent At"]


def statement_report(statement: Statement) -> Report:
    currency = statement.currency
    totals = [
        ("Gross", statement.gross),
        ("Refunded", statement.refunded),
        ("Platform Fee", statement.platform_fee),
        ("Processing Fees", statement.processing_fees),
        ("Reserve", statement.reserve),
        ("Net", statement.net),
        ("Transferred", statement.transferred),
        ("Balance", statement.balance),
    ]
    transfers = [
        [
            p.kind,
            quantize(p.amount, p.currency),
            p.currency,
            p.state,
            p.hold_reason,
            p.provider_id,
            p.created_at,
            p.sent_at,
        ]
        for p in statement.transfers
    ]
    return Report(
        name=f"statement-{statement.campaign.slug}",
        sections=[
            Section(
                title="Statement", header=SUMMARY_HEADER, rows=[[k, quantize(v, currency), currency] for k, v in totals]
            ),
            Section(title="Transfers", header=TRANSFER_HEADER, rows=transfers, counted=False),
        ],
        rows_total=len(totals),
    )
