"""The receipt as ESC/POS bytes for thermal printers (and the printer test page).

The receipt prints the same data as the HTML receipt (templates/pos/receipt.html): the shop
header, lines, totals, tax summary by rate, payments, change, footer, a DUPLICATE or VOID mark,
and a QR code of the invoice number. The job is built on python-escpos's Dummy printer and
sent in one write by services/drawer.py (which decides about the cash drawer) or
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

from posapp.documents.filters import amount_text, percent_text
from posapp.models import Invoice
from posapp.models.base import to_local
from posapp.money import format_qty
from posapp.services import receipt_printer
from posapp.services.pricing import summarise_tax
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


def _header(w: _Writer, settings: ShopSettings, title: str) -> None:
    w.centred(settings.shop_name, bold=True, big=True)
    w.p.set(align="center")
    w.lines(_wrap(settings.address, w.columns))
    if settings.phone:
        w.lines(_wrap(f"Phone {settings.phone}", w.columns))
    if settings.tax_number:
        w.lines(_wrap(f"GSTIN {settings.tax_number}", w.columns))
    w.p.set_with_default()
    w.centred(title, bold=True)


def write_receipt(
    printer: Any,
    invoice: Invoice,
    settings: ShopSettings,
    *,
    duplicate: bool = False,
    columns: int = 48,
) -> None:
    """Write an invoice's receipt on an escpos printer object (the caller cuts)."""
    w = _Writer(printer, columns)

    def amount(minor: int) -> str:
        return amount_text(minor, settings.locale)

    _header(w, settings, "TAX INVOICE" if settings.tax_number else "RECEIPT")
    if invoice.status == "void":
        w.centred("*** VOID ***", bold=True, big=True)
    if duplicate:
        w.centred("*** DUPLICATE ***", bold=True, big=True)
    w.rule()
    w.two("Invoice", invoice.number)
    w.two("Date", to_local(invoice.created_at).strftime("%d-%m-%Y %H:%M"))
    w.two("Cashier", invoice.cashier.username if invoice.cashier else "")
    if invoice.customer:
        w.two("Customer", invoice.customer.name)
        w.two("Phone", invoice.customer.phone)
    w.rule()
    w.two("Item", "Amount")
    for line in invoice.lines:
        w.lines(_wrap(line.name, columns))
        unit = "" if line.unit == "pcs" else f" {line.unit}"
        quantity = format_qty(line.qty_milli, line.unit, settings.locale)
        w.two(f"  {quantity}{unit} x {amount(line.unit_price)}", amount(line.total))
        if line.discount:
            w.two("  discount", f"-{amount(line.discount)}")
    w.rule()
    count = len(invoice.lines)
    w.two(f"Subtotal ({count} item{'' if count == 1 else 's'})", amount(invoice.subtotal))
    if invoice.discount_total:
        w.two("Discount", f"-{amount(invoice.discount_total)}")
    tax_label = "Tax (included)" if invoice.prices_include_tax else "Tax"
    w.two(tax_label, amount(invoice.tax_total))
    if invoice.round_off:
        w.two("Round-off", amount(invoice.round_off))
    w.p.set(bold=True, double_height=True)
    w.two("TOTAL", f"{settings.currency} {amount(invoice.total)}")
    w.p.set_with_default()

    taxes = summarise_tax(invoice.lines)
    if invoice.tax_total or any(line.tax_rate_bp for line in invoice.lines):
        split = bool(settings.split_tax and settings.tax_number)
        w.rule()
        head = ["Tax", "Taxable", "CGST", "SGST"] if split else ["Tax", "Taxable", "Tax amt"]
        w.p.textln(_columns(head, columns))
        for row in taxes:
            rate = percent_text(row.rate_bp)
            cells = [rate, amount(row.taxable)]
            cells += [amount(row.cgst), amount(row.sgst)] if split else [amount(row.tax)]
            w.p.textln(_columns(cells, columns))

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

    if settings.receipt_footer:
        w.rule()
        w.p.set(align="center")
        w.lines(_wrap(settings.receipt_footer, columns))
        w.p.set_with_default()
    # The printer draws the QR itself (GS ( k): a few bytes instead of a raster image.
    w.p.set(align="center")
    w.p.qr(invoice.number, size=QR_SIZE.get(settings.receipt_width_mm, 5), native=True)
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
    _header(w, settings, "PRINTER TEST")
    w.rule()
    w.two("Printer", config.describe())
    w.two("Paper", f"{config.width_mm} mm, {config.columns} characters")
    w.two("Time", now.strftime("%d-%m-%Y %H:%M"))
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
