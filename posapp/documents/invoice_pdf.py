"""The A4 tax invoice and credit note PDFs (xhtml2pdf over templates/pdf/) and what they print."""

from __future__ import annotations

import io
import logging
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.numbers import format_decimal, get_currency_symbol
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from markupsafe import Markup, escape
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

from posapp.config import bundled
from posapp.models import CreditNote, Invoice
from posapp.models.base import to_local
from posapp.money import format_money, format_qty
from posapp.services.pricing import summarise_tax
from posapp.services.settings import ShopSettings

log = logging.getLogger(__name__)

TEMPLATE = "pdf/invoice.html"
CREDIT_NOTE_TEMPLATE = "pdf/credit_note.html"
PAYMENT_LABELS = {"cash": "Cash", "card": "Card", "upi": "UPI", "credit": "Credit (on account)"}

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


def amount_in_words(minor: int, currency: str = "INR") -> str:
    """Spell an amount for the invoice: "Rupees One Lakh and Fifty Paise Only" for INR."""
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


def _percent_text(value: Decimal) -> str:
    """A percentage without trailing zeros ("5", "2.5", "0.125")."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _settings_of(ctx: Any) -> ShopSettings:
    return ctx["settings"]


@pass_context
def _money(ctx: Any, minor: int) -> str:
    settings = _settings_of(ctx)
    return format_money(minor, settings.currency, settings.locale)


@lru_cache(maxsize=8)
def _amount_format(locale: str) -> str:
    """The locale's own number pattern with exactly 2 decimals ("#,##,##0.00" for en_IN)."""
    # A fixed "#,##0.00" would group 1,25,000 as 125,000: the grouping is the locale's.
    pattern = Locale.parse(locale).decimal_formats[None].pattern
    grouping = re.search(r"[#,]*0", pattern)
    return (grouping.group(0) if grouping else "#,##0") + ".00"


@pass_context
def _amount(ctx: Any, minor: int) -> str:
    """A money amount without the currency symbol, for table columns (1,23,456.50)."""
    locale = _settings_of(ctx).locale
    return format_decimal(Decimal(minor).scaleb(-2), format=_amount_format(locale), locale=locale)


@pass_context
def _qty(ctx: Any, milli: int, unit: str) -> str:
    return format_qty(milli, unit, _settings_of(ctx).locale)


def _percent(bp: int | Decimal) -> str:
    """Basis points as a short percent number ("5", "12.5", "0.25")."""
    return _percent_text(Decimal(bp) / 100)


def _lines_br(text: str | None) -> Markup:
    """Escape multi-line user text and keep its line breaks."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return Markup("<br/>").join(escape(line) for line in lines)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    """The Jinja environment of the PDF templates: no Flask needed, autoescape always on."""
    env = Environment(
        loader=FileSystemLoader(str(bundled("templates"))),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(money=_money, amount=_amount, qty=_qty, percent=_percent, lines_br=_lines_br)
    return env


def _static_dir() -> Path:
    return bundled("static").resolve()


def _static_file(uri: str, _rel: str | None) -> str:
    """Resolve a template's `static:` URL to the bundled file (from source and frozen alike)."""
    if uri.startswith("static:"):
        return str(bundled("static", *uri.removeprefix("static:").split("/")))
    return uri


def invoice_context(
    invoice: Invoice, settings: ShopSettings, *, duplicate: bool = False
) -> dict[str, Any]:
    """Everything the invoice template prints, computed once here."""
    taxes = summarise_tax(invoice.lines)
    created = to_local(invoice.created_at)
    return {
        "invoice": invoice,
        "settings": settings,
        "title": "TAX INVOICE" if settings.tax_number else "INVOICE",
        "split_tax": bool(settings.tax_number and settings.split_tax),
        "taxes": taxes,
        "taxable_total": sum(row.taxable for row in taxes),
        "cgst_total": sum(row.cgst for row in taxes),
        "sgst_total": sum(row.sgst for row in taxes),
        "date": created.strftime("%d-%m-%Y"),
        "time": created.strftime("%I:%M %p"),
        "cashier": invoice.cashier.username if invoice.cashier else "",
        "currency_symbol": get_currency_symbol(settings.currency, locale=settings.locale),
        "in_words": amount_in_words(invoice.total, settings.currency),
        "payments": [(PAYMENT_LABELS.get(p.method, p.method), p.amount) for p in invoice.payments],
        "balance_due": invoice.balance_due,
        "duplicate": duplicate,
    }


def invoice_html(invoice: Invoice, settings: ShopSettings, *, duplicate: bool = False) -> str:
    """Render the invoice's HTML (the PDF's source; also handy to debug its layout)."""
    context = invoice_context(invoice, settings, duplicate=duplicate)
    return _environment().get_template(TEMPLATE).render(context)


def render_invoice_pdf(
    invoice: Invoice, settings: ShopSettings, *, duplicate: bool = False
) -> bytes:
    """Render an invoice as an A4 PDF (marked DUPLICATE for a reprint)."""
    return _html_to_pdf(invoice_html(invoice, settings, duplicate=duplicate), invoice.number)


def credit_note_context(note: CreditNote, settings: ShopSettings) -> dict[str, Any]:
    """Everything the credit note template prints."""
    taxes = summarise_tax(note.lines)
    return {
        "note": note,
        "settings": settings,
        "split_tax": bool(settings.tax_number and settings.split_tax),
        "taxes": taxes,
        "cgst_total": sum(row.cgst for row in taxes),
        "sgst_total": sum(row.sgst for row in taxes),
        "date": to_local(note.created_at).strftime("%d-%m-%Y"),
        "invoice_date": to_local(note.invoice.created_at).strftime("%d-%m-%Y"),
        "currency_symbol": get_currency_symbol(settings.currency, locale=settings.locale),
        "in_words": amount_in_words(note.total, settings.currency),
    }


def credit_note_html(note: CreditNote, settings: ShopSettings) -> str:
    """Render the credit note's HTML (the PDF's source)."""
    return (
        _environment()
        .get_template(CREDIT_NOTE_TEMPLATE)
        .render(credit_note_context(note, settings))
    )


def render_credit_note_pdf(note: CreditNote, settings: ShopSettings) -> bytes:
    """Render a credit note as an A4 PDF."""
    return _html_to_pdf(credit_note_html(note, settings), note.number)


def _html_to_pdf(html: str, number: str) -> bytes:
    """Turn one document's HTML into PDF bytes."""
    out = io.BytesIO()
    # Local reads confined to the bundled static dir (fonts), nothing remote: frozen, the
    # default policy would confine reads to the working directory and silently drop the fonts.
    policy = ResourceAccessPolicy(base_dir=_static_dir(), allow_remote=False)
    result = pisa.CreatePDF(
        html, dest=out, encoding="utf-8", link_callback=_static_file, resource_policy=policy
    )
    if result.err:
        raise RuntimeError(f"Could not render {number} as PDF.")
    if result.warn:
        log.warning("%s PDF rendered with %d warning(s)", number, result.warn)
    return out.getvalue()
