"""A pledge's receipt as a PDF (fpdf2: pure Python, no system libraries): the same data as the
page, from ``pledges.selectors.pledge_receipt``. The PDF's built-in fonts write Windows-1252
(German, €, ¥); any other character (a title in Japanese) is written as "?" rather than failing."""

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from fpdf import FPDF

from accounts.selectors import public_name
from core.money import format_money
from pledges.selectors import Receipt

ENCODING = "windows-1252"


def _text(value: object) -> str:
    return str(value).encode(ENCODING, "replace").decode(ENCODING)


def receipt_pdf(receipt: Receipt) -> bytes:
    pledge, campaign = receipt.pledge, receipt.pledge.campaign
    money = lambda amount: format_money(amount, receipt.currency)  # noqa: E731
    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = ENCODING
    pdf.set_title(_text(_("Receipt")))
    pdf.set_creator("Pledgeboard")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 12, _text(_("Receipt")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    when = date_format(receipt.charged_at, _("j F Y, H:i")) + " UTC" if receipt.charged_at else ""
    card = _("Card ending in %(last4)s") % {"last4": receipt.card_last4} if receipt.card_last4 else _("Card")
    facts = [
        (_("Campaign"), campaign.title),
        (_("Creator"), public_name(campaign.creator)),
        (_("Backer"), f"{pledge.backer.get_username()} <{pledge.backer.email}>"),
        (_("Charged on"), when),
        (_("Payment method"), card),
        (_("Payment reference"), receipt.payment_intent_id),
    ]
    for label, value in facts:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(50, 7, _text(label))
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 7, _text(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    rows = [(line.label, money(line.amount), "") for line in receipt.lines]
    rows.append((_("Amount charged"), money(receipt.total), "B"))
    if receipt.refunded:
        rows.append((_("Refunded"), "-" + money(receipt.refunded), ""))
        rows.append((_("Remaining charge"), money(receipt.remaining), "B"))
    for label, amount, style in rows:
        pdf.set_font("Helvetica", style, 11)
        pdf.cell(130, 8, _text(label), border="B")
        pdf.cell(0, 8, _text(amount), border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
