"""The receipt as ESC/POS bytes for thermal printers (and the printer test page).

The receipt prints the same data as the HTML receipt (templates/pos/receipt.html), from the
invoice's snapshot (services/issued.py) and never today's settings: the shop header, the buyer,
the place of supply, lines, totals, tax summary by rate, payments, change, footer, a DUPLICATE
or VOID mark, and a QR code of the invoice number. The job is built on python-escpos's Dummy
printer and sent in one write by services/drawer.py (which decides about the cash drawer) or
services/receipt_printer.py, so a half-built job never reaches the paper; this module only
renders.

Thermal printers print text in a code page, not Unicode: amounts go without the currency sign
(the total line names the currency), and scripts the code page lacks (Devanagari) print as
"?"; the browser-printed HTML receipt shows them correctly.
"""

from __future__ import annotations

import textwrap
from datetime import datetime
from typing import Any

from posapp.dates import date_time_format
from posapp.documents.filters import amount_text, percent_text
from posapp.models import Invoice
from posapp.models.base import to_local
from posapp.money import format_qty
from posapp.services import issued, receipt_printer
from posapp.services.pricing import TaxRow, summarise_tax
from posapp.services.receipt_printer import PrinterConfig
from posapp.services.settings import ShopSettings
from posapp.vocabulary import labels

QR_SIZE = {58: 4, 80: 5}  # module size in dots: about 25 mm wide for an invoice number


def _wrap(text: str, width: int) -> list[str]:
    """Wrap user text to the paper, keeping its own line breaks."""
    lines: list[str] = []
    for part in (text or "").splitlines():
        lines += textwrap.wrap(part.strip(), width) or []
    return lines


def _two(left: str, right: str, width: int) -> list[str]:
    """A label on the left and a value on the right; a long label gets its own lines."""
    if len(left) + 1 + len(right) <= width:
        return [left + " " * (width - len(left) - len(right)) + right]
    return [*_wrap(left, width), right.rjust(width)]


def _columns(cells: list[str], width: int) -> str:
    """A row of a small table: the first cell left, the others right-aligned, equal widths."""
    rest = len(cells) - 1
    each = width // (rest + 1)
    first = width - each * rest
    return cells[0][:first].ljust(first) + "".join(c[:each].rjust(each) for c in cells[1:])


class _Writer:
    """Writes receipt text on a python-escpos printer object, `columns` characters wide."""

    def __init__(self, printer: Any, columns: int) -> None:
        self.p = printer
        self.columns = columns

    def lines(self, lines: list[str]) -> None:
        for line in lines:
            self.p.textln(line)

    def two(self, left: str, right: str) -> None:
        self.lines(_two(left, right, self.columns))

    def rule(self) -> None:
        self.p.textln("-" * self.columns)

    def centred(self, text: str, *, bold: bool = False, big: bool = False) -> None:
        self.p.set(align="center", bold=bold, double_height=big, double_width=big)
        self.lines(_wrap(text, self.columns // 2 if big else self.columns))
        self.p.set_with_default()


def _header(w: _Writer, name: str, address: str, phone: str, tax_id: str, title: str) -> None:
    w.centred(name, bold=True, big=True)
    w.p.set(align="center")
    w.lines(_wrap(address, w.columns))
    if phone:
        w.lines(_wrap(f"Phone {phone}", w.columns))
    if tax_id:
        w.lines(_wrap(tax_id, w.columns))
    w.p.set_with_default()
    w.centred(title, bold=True)


def _tax_table(w: _Writer, doc: issued.Issued, taxes: list[TaxRow], amount: Any) -> None:
    """The tax by rate in the heads the receipt was issued with (none on a bill of supply)."""
    heads = doc.tax_heads
    head = {
        "cgst_sgst": ["Tax", "Taxable", "CGST", "SGST"],
        "igst": ["Tax", "Taxable", "IGST"],
    }.get(heads, ["Tax", "Taxable", "Tax amt"])
    w.p.textln(_columns(head, w.columns))
    for row in taxes:
        cells = [percent_text(row.rate_bp), amount(row.taxable)]
        if heads == "cgst_sgst":
            cells += [amount(row.cgst), amount(row.sgst)]
        elif heads == "igst":
            cells.append(amount(row.igst))
        else:
            cells.append(amount(row.tax))
        w.p.textln(_columns(cells, w.columns))


def write_receipt(
    printer: Any,
    invoice: Invoice,
    settings: ShopSettings,
    *,
    duplicate: bool = False,
    columns: int = 48,
) -> None:
    """Write an invoice's receipt on an escpos printer object (the caller cuts).

    Everything printed comes from the invoice and its snapshot; `settings` is read only for a
    row stored without one.
    """
    w = _Writer(printer, columns)
    doc = issued.for_document(invoice, settings, invoice.customer, "invoice")
    seller, layout = doc.seller, doc.layout

    def amount(minor: int) -> str:
        return amount_text(minor, layout.locale)

    tax_id = f"{doc.tax_label} {seller.gstin}" if seller.gstin else ""
    _header(w, seller.name, seller.address, seller.phone, tax_id, doc.receipt_title)
    if doc.declaration:
        w.p.set(align="center")
        w.lines(_wrap(doc.declaration, columns))
        w.p.set_with_default()
    if invoice.status == "void":
        w.centred("*** VOID ***", bold=True, big=True)
    if duplicate:
        w.centred("*** DUPLICATE ***", bold=True, big=True)
    w.rule()
    w.two("Invoice", invoice.number)
    w.two("Date", to_local(invoice.created_at).strftime(date_time_format(layout.locale)))
    w.two("Cashier", invoice.cashier.username if invoice.cashier else "")
    if doc.buyer is not None:
        w.two("Customer", doc.buyer.legal_name or doc.buyer.name)
        if doc.buyer.gstin:
            w.two("GSTIN", doc.buyer.gstin)
        w.two("Phone", doc.buyer.phone)
    if doc.place_of_supply is not None:
        place = doc.place_of_supply
        w.two("Place of supply", f"{place.code} - {place.name}")
    w.rule()
    w.two("Item", "Amount")
    for line in invoice.lines:
        w.lines(_wrap(line.name, columns))
        unit = "" if line.unit == "pcs" else f" {line.unit}"
        quantity = format_qty(line.qty_milli, line.unit, layout.locale)
        w.two(f"  {quantity}{unit} x {amount(line.unit_price)}", amount(line.total))
        if line.discount:
            w.two("  discount", f"-{amount(line.discount)}")
    w.rule()
    count = len(invoice.lines)
    w.two(f"Subtotal ({count} item{'' if count == 1 else 's'})", amount(invoice.subtotal))
    if invoice.discount_total:
        w.two("Discount", f"-{amount(invoice.discount_total)}")
    if doc.tax_heads != "none":
        tax_label = "Tax (included)" if invoice.prices_include_tax else "Tax"
        w.two(tax_label, amount(invoice.tax_total))
    if invoice.round_off:
        w.two("Round-off", amount(invoice.round_off))
    w.p.set(bold=True, double_height=True)
    w.two("TOTAL", f"{layout.currency} {amount(invoice.total)}")
    w.p.set_with_default()

    taxes = summarise_tax(invoice.lines, invoice.tax_rule)
    taxed = invoice.tax_total or any(line.tax_rate_bp for line in invoice.lines)
    if taxed and doc.tax_heads != "none":
        w.rule()
        _tax_table(w, doc, taxes, amount)

    w.rule()
    for payment in invoice.payments:
        method = labels.payment(payment.method)
        if payment.amount < 0:
            how = "to credit" if payment.method == "credit" else f"in {method.lower()}"
            w.two(f"Refund {how}", f"-{amount(-payment.amount)}")
        else:
            w.two(f"Paid by {method}", amount(payment.amount))
    if invoice.returned_total:
        w.two("Returned goods", f"-{amount(invoice.returned_total)}")
    if invoice.tendered:
        w.two("Cash tendered", amount(invoice.tendered))
        w.p.set(bold=True)
        w.two("Change", amount(invoice.change))
        w.p.set_with_default()
    if invoice.balance_due > 0 and invoice.status != "void":
        w.two("On credit" if invoice.customer else "Balance due", amount(invoice.balance_due))
    if doc.due_after is not None:
        # The customer's whole khata balance as issued, so a reprint never shows today's.
        w.p.set(bold=True)
        w.two("Total due after this bill", amount(doc.due_after))
        w.p.set_with_default()

    if layout.receipt_footer:
        w.rule()
        w.p.set(align="center")
        w.lines(_wrap(layout.receipt_footer, columns))
        w.p.set_with_default()
    upi_link = doc.upi_link(invoice.number) if invoice.status != "void" else None
    if upi_link is not None and doc.upi is not None:
        # The balance due at issue, as on the receipt page (docs/DESIGN.md "UPI").
        w.rule()
        w.centred(f"Scan to pay {amount(int(doc.upi['amount']))} by UPI")
        w.p.set(align="center")
        w.p.qr(upi_link, size=QR_SIZE.get(layout.receipt_width_mm, 5), native=True)
        w.p.textln(str(doc.upi["vpa"]))
        w.p.set_with_default()
    # The printer draws the QR itself (GS ( k): a few bytes instead of a raster image.
    w.p.set(align="center")
    w.p.qr(invoice.number, size=QR_SIZE.get(layout.receipt_width_mm, 5), native=True)
    w.p.textln(invoice.number)
    w.p.set_with_default()


def receipt_job(
    invoice: Invoice,
    settings: ShopSettings,
    *,
    duplicate: bool = False,
    open_drawer: bool = False,
    columns: int = 48,
) -> bytes:
    """The whole print job for an invoice: reset, drawer kick when asked, receipt, cut."""
    printer = receipt_printer.dummy_printer()
    printer.hw("INIT")
    if open_drawer:
        # Kick first: the cashier counts change while the receipt prints.
        printer.cashdraw(receipt_printer.DRAWER_KICK_PIN)
    write_receipt(printer, invoice, settings, duplicate=duplicate, columns=columns)
    printer.cut()
    return printer.output


def printer_test_job(settings: ShopSettings, config: PrinterConfig, now: datetime) -> bytes:
    """A test page: the shop, the printer, a ruler showing how many characters fit, a cut."""
    printer = receipt_printer.dummy_printer()
    printer.hw("INIT")
    w = _Writer(printer, config.columns)
    tax_id = f"GSTIN {settings.tax_number}" if settings.tax_number else ""
    _header(w, settings.shop_name, settings.address, settings.phone, tax_id, "PRINTER TEST")
    w.rule()
    w.two("Printer", config.describe())
    w.two("Paper", f"{config.width_mm} mm, {config.columns} characters")
    w.two("Time", now.strftime(date_time_format(settings.locale)))
    w.rule()
    ruler = "".join(str(i % 10) for i in range(1, config.columns + 1))
    printer.textln(ruler)
    w.two("Left", "Right")
    printer.set(bold=True)
    w.two("Bold TOTAL", f"{settings.currency} {amount_text(123456, settings.locale)}")
    printer.set_with_default()
    w.rule()
    w.centred("If this line is centred, printing works.")
    printer.cut()
    return printer.output
