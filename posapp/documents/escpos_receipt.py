"""The receipt as ESC/POS bytes for thermal printers (and the printer test page).

The receipt prints the same data as the HTML receipt (templates/pos/receipt.html), from the
invoice's snapshot (services/issued.py) and never today's settings: the shop header, the buyer,
the place of supply, lines, totals, tax summary by rate, payments, change, footer, a DUPLICATE
or VOID mark, and a QR code of the invoice number. The job is built on python-escpos's Dummy
printer and sent in one write by services/drawer.py (which decides about the cash drawer) or
services/receipt_printer.py, so a half-built job never reaches the paper; this module only
renders.

Thermal printers print text in a code page, not Unicode: amounts go without the currency sign
(the total line names the currency). A line with a character no code page has (Devanagari in
a name or an address, ₹ in a footer) is drawn instead, shaped by HarfBuzz with the bundled
fonts (documents/raster_text.py), and printed as a raster image the paper's width, laid out
as its text would be. The setting `printer_as_image` prints every line that way, and the
total then with the currency's sign, as on the HTML receipt.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PIL import Image

from posapp.dates import date_time_format
from posapp.documents import raster_text
from posapp.documents.filters import amount_text, percent_text
from posapp.documents.language import message_in, plural_in, pmessage_in, translate
from posapp.i18n import lazy_plural
from posapp.models import Invoice
from posapp.models.base import to_local
from posapp.money import format_money, format_qty
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
    """Writes receipt text on a python-escpos printer object, `columns` characters wide.

    A line with a character the printer's code page lacks (Devanagari, ₹), or every line with
    `as_image`, is drawn by raster_text exactly the paper's dot width wide, laid out as the
    text line would be, and printed as a raster image; the others go as text. The style set
    with `set` (alignment, bold, double size) applies to both.
    """

    def __init__(self, printer: Any, columns: int, *, as_image: bool = False) -> None:
        self.p = printer
        self.columns = columns
        self.dots = columns * receipt_printer.FONT_A_DOTS
        self.as_image = as_image
        self.style: dict[str, Any] = {}

    def set(self, **style: Any) -> None:
        self.style.update(style)
        self.p.set(**style)

    def default(self) -> None:
        self.style = {}
        self.p.set_with_default()

    def _raster(self, *texts: str) -> bool:
        return self.as_image or any(raster_text.needs_raster(text) for text in texts)

    def _width(self) -> int:
        """The dots a line may use: half of them in double width, which the printer doubles."""
        return self.dots // 2 if self.style.get("double_width") else self.dots

    def _image(self, spans: list[raster_text.Span]) -> None:
        image = raster_text.render_line(spans, self._width(), bold=bool(self.style.get("bold")))
        wide = 2 if self.style.get("double_width") else 1
        high = 2 if self.style.get("double_height") else 1
        if (wide, high) != (1, 1):
            # As the printer enlarges its own font: each dot becomes 2 x 1, 1 x 2 or 2 x 2.
            image = image.resize(
                (image.width * wide, image.height * high), Image.Resampling.NEAREST
            )
        receipt_printer.print_image(self.p, image)

    def text(self, text: str) -> None:
        """User text wrapped to the paper, keeping its own line breaks, in the set alignment."""
        if not self._raster(text):
            width = self.columns // 2 if self.style.get("double_width") else self.columns
            for line in _wrap(text, width):
                self.p.textln(line)
            return
        align = str(self.style.get("align") or "left")
        bold = bool(self.style.get("bold"))
        for line in raster_text.wrap(text, self._width(), bold=bold):
            self._image([raster_text.Span(line, 0, self._width(), align)])

    def line(self, text: str) -> None:
        """One line as it is (a ruler, a number): text unless the code page lacks it."""
        if self._raster(text):
            align = str(self.style.get("align") or "left")
            self._image([raster_text.Span(text, 0, self._width(), align)])
        else:
            self.p.textln(text)

    def two(self, left: str, right: str) -> None:
        """A label on the left and a value on the right; a long label gets its own lines."""
        if not self._raster(left, right):
            for line in _two(left, right, self.columns):
                self.p.textln(line)
            return
        width, bold = self._width(), bool(self.style.get("bold"))
        gap = raster_text.text_width(" ", bold=bold)
        need = (
            raster_text.text_width(left, bold=bold) + gap + raster_text.text_width(right, bold=bold)
        )
        if need <= width:
            self._image(
                [raster_text.Span(left, 0, width), raster_text.Span(right, 0, width, "right")]
            )
            return
        for line in raster_text.wrap(left, width, bold=bold):
            self._image([raster_text.Span(line, 0, width)])
        self._image([raster_text.Span(right, 0, width, "right")])

    def row(self, cells: list[str]) -> None:
        """A row of a small table: the first cell left, the others right-aligned, equal widths."""
        if not self._raster(*cells):
            self.p.textln(_columns(cells, self.columns))
            return
        rest = len(cells) - 1
        each = self._width() // (rest + 1)
        first = self._width() - each * rest
        spans = [raster_text.Span(cells[0], 0, first)]
        spans += [
            raster_text.Span(cell, first + each * index, first + each * (index + 1), "right")
            for index, cell in enumerate(cells[1:])
        ]
        self._image(spans)

    def rule(self) -> None:
        if self.as_image:
            # Dashes across the paper, as on the text receipt, as many as the font's fit.
            dashes = int(self._width() // raster_text.text_width("-"))
            self._image([raster_text.Span("-" * dashes, 0, self._width())])
        else:
            self.p.textln("-" * self.columns)

    def centred(self, text: str, *, bold: bool = False, big: bool = False) -> None:
        self.set(align="center", bold=bold, double_height=big, double_width=big)
        self.text(text)
        self.default()


def message_in_english(message: str, **values: Any) -> str:
    """The printer test page's words: English, as the screens' setup pages."""
    return message_in("en", message, **values)


def _header(
    w: _Writer,
    name: str,
    address: str,
    phone: str,
    tax_id: str,
    title: str,
    _: Callable[..., str] = message_in_english,
) -> None:
    w.centred(name, bold=True, big=True)
    w.set(align="center")
    w.text(address)
    if phone:
        w.text(_("Phone %(phone)s", phone=phone))
    if tax_id:
        w.text(tax_id)
    w.default()
    w.centred(title, bold=True)


def _tax_table(
    w: _Writer, doc: issued.Issued, taxes: list[TaxRow], amount: Any, _: Callable[..., str]
) -> None:
    """The tax by rate in the heads the receipt was issued with (none on a bill of supply)."""
    heads = doc.tax_heads
    head = {
        "cgst_sgst": [_("Tax"), _("Taxable"), "CGST", "SGST"],
        "igst": [_("Tax"), _("Taxable"), "IGST"],
    }.get(heads, [_("Tax"), _("Taxable"), _("Tax amt")])
    w.row(head)
    for row in taxes:
        cells = [percent_text(row.rate_bp), amount(row.taxable)]
        if heads == "cgst_sgst":
            cells += [amount(row.cgst), amount(row.sgst)]
        elif heads == "igst":
            cells.append(amount(row.igst))
        else:
            cells.append(amount(row.tax))
        w.row(cells)


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
    row stored without one, and for how this printer prints (`printer_as_image`).
    """
    w = _Writer(printer, columns, as_image=settings.printer_as_image)
    doc = issued.for_document(invoice, settings, invoice.customer, "invoice")
    seller, layout = doc.seller, doc.layout

    def amount(minor: int) -> str:
        return amount_text(minor, layout.locale)

    def _(message: str, **values: Any) -> str:
        # The receipt's words in the language it was issued with, not the screen's.
        return message_in(layout.language, message, **values)

    tax_id = f"{translate(layout.language, doc.tax_label)} {seller.gstin}" if seller.gstin else ""
    title = translate(layout.language, doc.receipt_title)
    _header(w, seller.name, seller.address, seller.phone, tax_id, title, _)
    if doc.declaration:
        w.set(align="center")
        w.text(translate(layout.language, doc.declaration))
        w.default()
    if invoice.status == "void":
        w.centred("*** " + _("VOID") + " ***", bold=True, big=True)
    if duplicate:
        w.centred("*** " + _("DUPLICATE") + " ***", bold=True, big=True)
    w.rule()
    w.two(_("Invoice"), invoice.number)
    w.two(_("Date"), to_local(invoice.created_at).strftime(date_time_format(layout.locale)))
    w.two(_("Cashier"), invoice.cashier.username if invoice.cashier else "")
    if doc.buyer is not None:
        w.two(_("Customer"), doc.buyer.legal_name or doc.buyer.name)
        if doc.buyer.gstin:
            w.two(_("GSTIN"), doc.buyer.gstin)
        w.two(_("Phone"), doc.buyer.phone)
    if doc.place_of_supply is not None:
        place = doc.place_of_supply
        w.two(_("Place of supply"), f"{place.code} - {place.name}")
    w.rule()
    w.two(_("Item"), _("Amount"))
    for line in invoice.lines:
        w.text(line.name)
        unit = "" if line.unit == "pcs" else f" {line.unit}"
        quantity = format_qty(line.qty_milli, line.unit, layout.locale)
        w.two(f"  {quantity}{unit} x {amount(line.unit_price)}", amount(line.total))
        if line.discount:
            w.two("  " + _("discount"), f"-{amount(line.discount)}")
    w.rule()
    count = len(invoice.lines)
    subtotal = plural_in(
        layout.language,
        *lazy_plural("Subtotal (%(count)s item)", "Subtotal (%(count)s items)"),
        count,
        count=count,
    )
    w.two(subtotal, amount(invoice.subtotal))
    if invoice.discount_total:
        w.two(_("Discount"), f"-{amount(invoice.discount_total)}")
    if doc.tax_heads != "none":
        tax_label = _("Tax (included)") if invoice.prices_include_tax else _("Tax")
        w.two(tax_label, amount(invoice.tax_total))
    if invoice.round_off:
        w.two(_("Round-off"), amount(invoice.round_off))
    w.set(bold=True, double_height=True)
    if w.as_image:
        # A drawn line has the currency's sign, as the HTML receipt shows it.
        w.two(_("TOTAL"), format_money(invoice.total, layout.currency, layout.locale))
    else:
        w.two(_("TOTAL"), f"{layout.currency} {amount(invoice.total)}")
    w.default()

    taxes = summarise_tax(invoice.lines, invoice.tax_rule)
    taxed = invoice.tax_total or any(line.tax_rate_bp for line in invoice.lines)
    if taxed and doc.tax_heads != "none":
        w.rule()
        _tax_table(w, doc, taxes, amount, _)

    w.rule()
    for payment in invoice.payments:
        method = translate(layout.language, labels.payment(payment.method))
        if payment.amount < 0:
            how = (
                _("Refund to credit")
                if payment.method == "credit"
                else _("Refund in %(method)s", method=method.lower())
            )
            w.two(how, f"-{amount(-payment.amount)}")
        else:
            w.two(_("Paid by %(method)s", method=method), amount(payment.amount))
    if invoice.returned_total:
        w.two(_("Returned goods"), f"-{amount(invoice.returned_total)}")
    if invoice.tendered:
        w.two(_("Cash tendered"), amount(invoice.tendered))
        w.set(bold=True)
        w.two(pmessage_in(layout.language, "money", "Change"), amount(invoice.change))
        w.default()
    if invoice.balance_due > 0 and invoice.status != "void":
        w.two(_("On credit") if invoice.customer else _("Balance due"), amount(invoice.balance_due))
    if doc.due_after is not None:
        # The customer's whole khata balance as issued, so a reprint never shows today's.
        w.set(bold=True)
        w.two(_("Total due after this bill"), amount(doc.due_after))
        w.default()

    if layout.receipt_footer:
        w.rule()
        w.set(align="center")
        w.text(layout.receipt_footer)
        w.default()
    upi_link = doc.upi_link(invoice.number) if invoice.status != "void" else None
    if upi_link is not None and doc.upi is not None:
        # The balance due at issue, as on the receipt page (docs/DESIGN.md "UPI").
        w.rule()
        w.centred(_("Scan to pay %(amount)s by UPI", amount=amount(int(doc.upi["amount"]))))
        w.set(align="center")
        w.p.qr(upi_link, size=QR_SIZE.get(layout.receipt_width_mm, 5), native=True)
        w.line(str(doc.upi["vpa"]))
        w.default()
    # The printer draws the QR itself (GS ( k): a few bytes instead of a raster image.
    w.set(align="center")
    w.p.qr(invoice.number, size=QR_SIZE.get(layout.receipt_width_mm, 5), native=True)
    w.line(invoice.number)
    w.default()


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
    w = _Writer(printer, config.columns, as_image=settings.printer_as_image)
    tax_id = f"GSTIN {settings.tax_number}" if settings.tax_number else ""
    _header(w, settings.shop_name, settings.address, settings.phone, tax_id, "PRINTER TEST")
    w.rule()
    w.two("Printer", config.describe())
    w.two("Paper", f"{config.width_mm} mm, {config.columns} characters")
    w.two("Time", now.strftime(date_time_format(settings.locale)))
    w.rule()
    ruler = "".join(str(i % 10) for i in range(1, config.columns + 1))
    w.line(ruler)
    w.two("Left", "Right")
    w.set(bold=True)
    w.two("Bold TOTAL", f"{settings.currency} {amount_text(123456, settings.locale)}")
    w.default()
    w.rule()
    w.centred("If this line is centred, printing works.")
    printer.cut()
    return printer.output
