"""Shared xhtml2pdf setup: the PDF templates' Jinja environment, bundled fonts, rendering."""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from typing import Any, cast

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from posapp.config import bundled
from posapp.documents import language, pdf_worker
from posapp.documents.filters import Formats, make_filters, uses_devanagari
from posapp.errors import DomainError
from posapp.i18n import lazy
from posapp.services.settings import ShopSettings
from posapp.vocabulary import labels

log = logging.getLogger(__name__)


def _settings_of(ctx: Any) -> Formats:
    # An issued document prints with the currency and locale of its snapshot (`formats`);
    # other PDFs (statements, labels, reports) with today's settings.
    if "formats" in ctx:
        return cast(Formats, ctx["formats"])
    return cast(ShopSettings, ctx["settings"])


def _digits_of(ctx: Any) -> bool:
    # ०-९ in a Hindi document when the setting is on: an issued document's as issued (its
    # snapshot), other PDFs' today's; a bilingual document's numbers stay 0-9.
    source = ctx["formats"] if "formats" in ctx else ctx.get("settings")
    return uses_devanagari(
        language.language_in(ctx), bool(getattr(source, "devanagari_digits", False))
    )


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja environment of the PDF templates: no Flask needed, autoescape always on.

    Templates get `settings` (ShopSettings) in their context; the filters (the same set as the
    pages', documents/filters.py) format with its currency and locale.
    """
    env = Environment(
        loader=FileSystemLoader(str(bundled("templates"))),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(make_filters(_settings_of, _digits_of))
    env.globals["labels"] = labels
    language.install(env)
    return env


# The server has 6 request threads (8 with `serve`). A PDF request holds its thread until the
# helper, which renders one PDF at a time, gets to it: ten label sheets at once took every
# thread and a till's checkout waited 10.6 s for one. So at most MAX_PDF_JOBS PDFs are in
# the helper or waiting for it (the other threads stay free for the tills), and a PDF caller
# waits at most PDF_WAIT_SECONDS; beyond either, the PDF caller gets a 503 to retry.
MAX_PDF_JOBS = 3
PDF_WAIT_SECONDS = 30.0
BUSY_MESSAGE = lazy("TillBook is busy printing other documents; try this one again in a moment.")
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
        raise PdfBusy(str(BUSY_MESSAGE))
    try:
        pdf, failed, warnings = pdf_worker.worker.render(html, timeout=PDF_WAIT_SECONDS)
    except TimeoutError:
        log.warning("%s PDF gave up after %.0f s in the queue", what, PDF_WAIT_SECONDS)
        raise PdfBusy(str(BUSY_MESSAGE)) from None
    finally:
        _pdf_slots.release()
    if failed:
        raise RuntimeError(f"Could not render {what} as PDF.")
    if warnings:
        log.warning("%s PDF rendered with %d warning(s)", what, warnings)
    return pdf
