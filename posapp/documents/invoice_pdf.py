"""The invoice PDF in its layouts (A4, A5, 58/80 mm receipt; xhtml2pdf) and the credit note."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from babel.numbers import get_currency_symbol

from posapp.dates import date_format
from posapp.documents.filters import in_digits, uses_devanagari
from posapp.documents.hindi_words import hindi_amount_in_words
from posapp.documents.language import BILINGUAL, SEPARATOR, translate
from posapp.documents.pdf import environment, html_to_pdf
from posapp.documents.upi_pdf import document_qr
from posapp.errors import ValidationError
from posapp.i18n import _, lazy
from posapp.models import CreditNote, Invoice
from posapp.models.base import to_local
from posapp.services import issued
from posapp.services.pricing import TaxRow, summarise_tax
from posapp.services.settings import ShopSettings
from posapp.vocabulary import labels

TEMPLATE = "pdf/invoice.html"
# One template per invoice layout (the `invoice_layout` setting), all over invoice_context.
LAYOUT_TEMPLATES = {
    "a4": TEMPLATE,
    "a5": "pdf/invoice_a5.html",
    "receipt": "pdf/invoice_receipt.html",
}
CREDIT_NOTE_TEMPLATE = "pdf/credit_note.html"

_ONES = (
    *("Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine"),
    *("Ten", "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen"),
    *("Eighteen", "Nineteen"),
)
_TENS = ("", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety")


def _words_below_1000(n: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += [_ONES[hundreds], "Hundred"]
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_TENS[tens])
        if ones:
            words.append(_ONES[ones])
    elif rest:
        words.append(_ONES[rest])
    return words


def _indian_words(n: int) -> list[str]:
    """Spell a whole number with Indian grouping: crore, lakh, thousand, hundred."""
    if n == 0:
        return ["Zero"]
    words: list[str] = []
    crores, n = divmod(n, 10**7)
    if crores:
        # Above 99 crore the count of crores is itself spelled the Indian way.
        words += [*_indian_words(crores), "Crore"]
    lakhs, n = divmod(n, 10**5)
    if lakhs:
        words += [*_words_below_1000(lakhs), "Lakh"]
    thousands, n = divmod(n, 1000)
    if thousands:
        words += [*_words_below_1000(thousands), "Thousand"]
    return words + _words_below_1000(n)


def _international_words(n: int) -> list[str]:
    """Spell a whole number with international grouping: billion, million, thousand."""
    if n == 0:
        return ["Zero"]
    words: list[str] = []
    for size, name in (
        (10**12, "Trillion"),
        (10**9, "Billion"),
        (10**6, "Million"),
        (1000, "Thousand"),
    ):
        count, n = divmod(n, size)
        if count:
            words += [*_international_words(count), name]
    return words + _words_below_1000(n)


def amount_in_words(minor: int, currency: str = "INR", language: str = "en") -> str:
    """Spell an amount for the invoice: "Rupees One Lakh and Fifty Paise Only" for INR.

    In Hindi ("hi") a rupee amount is "एक लाख रुपये पचास पैसे"; "bilingual" gives both,
    joined as the document's other words are. Other currencies are spelled in English only.
    """
    english = _english_amount_in_words(minor, currency)
    if currency != "INR" or language not in ("hi", BILINGUAL):
        return english
    hindi = hindi_amount_in_words(minor)
    return hindi if language == "hi" else english + SEPARATOR + hindi


def _english_amount_in_words(minor: int, currency: str) -> str:
    prefix = "Minus " if minor < 0 else ""
    major, cents = divmod(abs(minor), 100)
    if currency == "INR":
        if major == 0 and cents:
            return f"{prefix}{' '.join(_indian_words(cents))} Pais{'a' if cents == 1 else 'e'} Only"
        text = f"Rupees {' '.join(_indian_words(major))}"
        if cents:
            text += f" and {' '.join(_indian_words(cents))} Paise"
        return f"{prefix}{text} Only"
    text = f"{currency} {' '.join(_international_words(major))}"
    if cents:
        text += f" and {cents:02d}/100"
    return f"{prefix}{text} Only"


def _tax_totals(taxes: list[TaxRow], prefix: str = "") -> dict[str, int]:
    """The tax columns' totals; an inter-state document's tax is all IGST (but any cess)."""
    return {
        f"{prefix}cgst_total": sum(row.cgst for row in taxes),
        f"{prefix}sgst_total": sum(row.sgst for row in taxes),
        f"{prefix}igst_total": sum(row.tax - row.cess for row in taxes),
    }


def _shown(doc: issued.Issued, text: str) -> str:
    """Text with numbers (a date) written as the document writes them (०-९ in Hindi, maybe)."""
    return in_digits(text, uses_devanagari(doc.layout.language, doc.layout.devanagari_digits))


def _day_of(doc: issued.Issued, moment: datetime) -> str:
    """A stored time as the document's date, in the locale's style it was issued with."""
    return _shown(doc, to_local(moment).strftime(date_format(doc.layout.locale)))


def _document_context(doc: issued.Issued) -> dict[str, Any]:
    """What every invoice and credit note template reads of the snapshot."""
    return {
        "doc": doc,
        "seller": doc.seller,
        "buyer": doc.buyer,
        # The money, amount and qty filters format with the currency and locale issued with.
        "formats": doc.layout,
        "title": doc.title,
        "heads": doc.tax_heads,
        "split_tax": doc.tax_heads == "cgst_sgst",
        "currency_symbol": get_currency_symbol(doc.layout.currency, locale=doc.layout.locale),
    }


def issued_invoice(invoice: Invoice, settings: ShopSettings) -> issued.Issued:
    """What the invoice was issued with (`settings` only for a row without a snapshot)."""
    return issued.for_document(invoice, settings, invoice.customer, "invoice")


def issued_credit_note(note: CreditNote, settings: ShopSettings) -> issued.Issued:
    """What the credit note was issued with (`settings` only for a row without a snapshot)."""
    return issued.for_document(note, settings, note.customer, "credit_note")


def invoice_context(
    invoice: Invoice, doc: issued.Issued, *, duplicate: bool = False, logo: str | None = None
) -> dict[str, Any]:
    """Everything the invoice template prints, computed once here (`logo`: a data: URI)."""
    taxes = summarise_tax(invoice.lines, invoice.tax_rule)
    return {
        **_document_context(doc),
        "invoice": invoice,
        "taxes": taxes,
        "taxable_total": sum(row.taxable for row in taxes),
        **_tax_totals(taxes),
        "date": _day_of(doc, invoice.created_at),
        "time": _shown(doc, to_local(invoice.created_at).strftime("%I:%M %p")),
        "cashier": invoice.cashier.username if invoice.cashier else "",
        "in_words": amount_in_words(invoice.total, doc.layout.currency, doc.layout.language),
        "payments": [
            (
                translate(
                    doc.layout.language,
                    lazy("%(method)s (ref. %(reference)s)"),
                    method=translate(doc.layout.language, labels.payment(p.method)),
                    reference=p.reference,
                )
                if p.reference
                else translate(doc.layout.language, labels.payment(p.method)),
                p.amount,
            )
            for p in invoice.payments
        ],
        "balance_due": invoice.balance_due,
        "duplicate": duplicate,
        "logo": logo,
        "upi_qr": document_qr(doc, invoice.number, invoice.status),
    }


def choose_layout(requested: str | None, issued_layout: str) -> str:
    """The layout to print: the one asked for (`?layout=`), else the one issued with."""
    if requested in (None, ""):
        return issued_layout if issued_layout in LAYOUT_TEMPLATES else "a4"
    if requested not in LAYOUT_TEMPLATES:
        raise ValidationError(
            _(
                "Unknown invoice layout; choose one of %(choices)s.",
                choices=", ".join(LAYOUT_TEMPLATES),
            ),
            field="layout",
        )
    return requested


def receipt_height_mm(invoice: Invoice, taxes: int, logo: bool) -> int:
    """Estimate the receipt PDF's page length from its rows, so a roll is not fed A4 length."""
    rows = 3 * len(invoice.lines) + taxes + len(invoice.payments)
    extra = sum(1 for line in invoice.lines if line.discount) + (8 if logo else 0)
    # The buyer's block, the place of supply and a declaration take a few more lines.
    return min(2000, 95 + 4 * (rows + extra) + 20)


def invoice_html(
    invoice: Invoice,
    settings: ShopSettings,
    *,
    duplicate: bool = False,
    logo: str | None = None,
    layout: str | None = None,
) -> str:
    """Render the invoice's HTML in a layout (default: the one issued with; the PDF's source).

    Everything printed comes from the invoice and its snapshot; `settings` is read only for a
    row stored without a snapshot.
    """
    doc = issued_invoice(invoice, settings)
    layout = choose_layout(layout, doc.layout.invoice_layout)
    context = invoice_context(invoice, doc, duplicate=duplicate, logo=logo)
    if layout == "receipt":
        context["width_mm"] = doc.layout.receipt_width_mm
        context["page_height_mm"] = receipt_height_mm(invoice, len(context["taxes"]), bool(logo))
    return environment().get_template(LAYOUT_TEMPLATES[layout]).render(context)


def render_invoice_pdf(
    invoice: Invoice,
    settings: ShopSettings,
    *,
    duplicate: bool = False,
    logo: str | None = None,
    layout: str | None = None,
) -> bytes:
    """Render an invoice as a PDF in a layout: A4, A5 or the 58/80 mm receipt.

    `layout` None uses the layout the invoice was issued with; a reprint is marked
    DUPLICATE; `logo` is a data: URI (the snapshot's logo, read by the caller).
    """
    return html_to_pdf(
        invoice_html(invoice, settings, duplicate=duplicate, logo=logo, layout=layout),
        f"invoice {invoice.number}",
    )


def credit_note_context(
    note: CreditNote, doc: issued.Issued, logo: str | None = None
) -> dict[str, Any]:
    """Everything the credit note template prints."""
    taxes = summarise_tax(note.lines, note.tax_rule)
    return {
        **_document_context(doc),
        "note": note,
        "taxes": taxes,
        **_tax_totals(taxes),
        "date": _day_of(doc, note.created_at),
        "invoice_date": _day_of(doc, note.invoice.created_at),
        "in_words": amount_in_words(note.total, doc.layout.currency, doc.layout.language),
        "logo": logo,
    }


def credit_note_html(note: CreditNote, settings: ShopSettings, logo: str | None = None) -> str:
    """Render the credit note's HTML (the PDF's source) from its snapshot."""
    context = credit_note_context(note, issued_credit_note(note, settings), logo)
    return environment().get_template(CREDIT_NOTE_TEMPLATE).render(context)


def render_credit_note_pdf(
    note: CreditNote, settings: ShopSettings, logo: str | None = None
) -> bytes:
    """Render a credit note as an A4 PDF."""
    return html_to_pdf(credit_note_html(note, settings, logo), f"credit note {note.number}")
