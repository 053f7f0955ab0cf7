"""Shared xhtml2pdf setup: the PDF templates' Jinja environment, bundled fonts, rendering."""

from __future__ import annotations

import logging
import re
import threading
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol, cast

from babel import Locale
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from markupsafe import Markup, escape

from posapp.config import bundled
from posapp.documents import pdf_worker
from posapp.errors import DomainError
from posapp.models.base import to_local
from posapp.money import format_money, format_qty
from posapp.services.customers import display_phone
from posapp.services.settings import ShopSettings
from posapp.vocabulary import labels

log = logging.getLogger(__name__)


def _percent_text(value: Decimal) -> str:
    """A percentage without trailing zeros ("5", "2.5", "0.125")."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class Formats(Protocol):
    """The currency and locale numbers are printed with."""

    currency: str
    locale: str


def _settings_of(ctx: Any) -> Formats:
    # An issued document prints with the currency and locale of its snapshot (`formats`);
    # other PDFs (statements, labels, reports) with today's settings.
    if "formats" in ctx:
        return cast(Formats, ctx["formats"])
    return cast(ShopSettings, ctx["settings"])


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


def amount_text(minor: int, locale: str) -> str:
    """A money amount without the currency symbol, grouped the locale's way (1,23,456.50)."""
    return format_decimal(Decimal(minor).scaleb(-2), format=_amount_format(locale), locale=locale)


@pass_context
def _amount(ctx: Any, minor: int) -> str:
    """A money amount without the currency symbol, for table columns (1,23,456.50)."""
    return amount_text(minor, _settings_of(ctx).locale)


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


def _localtime(moment: Any, fmt: str = "%d-%m-%Y") -> str:
    """A stored UTC time as the shop's local date (or `fmt`); empty for none."""
    return to_local(moment).strftime(fmt) if moment else ""


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja environment of the PDF templates: no Flask needed, autoescape always on.

    Templates get `settings` (ShopSettings) in their context; the money, amount and qty
    filters format with its currency and locale.
    """
    env = Environment(
        loader=FileSystemLoader(str(bundled("templates"))),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=_money,
        amount=_amount,
        qty=_qty,
        percent=_percent,
        lines_br=_lines_br,
        localtime=_localtime,
        phone=display_phone,
    )
    env.globals["labels"] = labels
    return env


# The server has 6 request threads (8 with `serve`). A PDF request holds its thread until the
# helper, which renders one PDF at a time, gets to it: ten label sheets at once took every
# thread and a till's checkout waited 10.6 s for one. So at most MAX_PDF_JOBS PDFs are in
# the helper or waiting for it (the other threads stay free for the tills), and a PDF caller
# waits at most PDF_WAIT_SECONDS; beyond either, the PDF caller gets a 503 to retry.
MAX_PDF_JOBS = 3
PDF_WAIT_SECONDS = 30.0
BUSY_MESSAGE = "TillBook is busy printing other documents; try this one again in a moment."
_pdf_slots = threading.BoundedSemaphore(MAX_PDF_JOBS)


class PdfBusy(DomainError):
    """Too many PDFs are being made at once, or this one waited too long: try again."""

    status = 503
    code = "pdf_busy"


def html_to_pdf(html: str, what: str) -> bytes:
    """Render xhtml2pdf HTML to PDF bytes; `what` names the document in errors and logs.

    The rendering runs in the PDF helper process (`pdf_worker`): the server's threads keep
    the GIL for the tills, and the engine's memory goes back when the helper stops. Raises
    PdfBusy (503) at once when MAX_PDF_JOBS PDFs are already under way, or after
    PDF_WAIT_SECONDS without a result.
    """
    if not _pdf_slots.acquire(blocking=False):
        log.warning("%s PDF refused: %d PDFs already under way", what, MAX_PDF_JOBS)
        raise PdfBusy(BUSY_MESSAGE)
    try:
        pdf, failed, warnings = pdf_worker.worker.render(html, timeout=PDF_WAIT_SECONDS)
    except TimeoutError:
        log.warning("%s PDF gave up after %.0f s in the queue", what, PDF_WAIT_SECONDS)
        raise PdfBusy(BUSY_MESSAGE) from None
    finally:
        _pdf_slots.release()
    if failed:
        raise RuntimeError(f"Could not render {what} as PDF.")
    if warnings:
        log.warning("%s PDF rendered with %d warning(s)", what, warnings)
    return pdf
