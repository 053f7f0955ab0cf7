"""Customer documents as PDFs (xhtml2pdf): the account statement and the payment receipt."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

from posapp.config import bundled
from posapp.models.base import to_local
from posapp.money import format_money
from posapp.services.customers import display_phone
from posapp.services.ledger import PaymentReceipt, StatementData
from posapp.services.settings import ShopSettings

KIND_LABELS = {
    "opening": "Opening balance",
    "credit_sale": "Credit sale",
    "payment": "Payment",
    "return": "Return",
    "adjustment": "Adjustment",
    "void": "Void",
}
METHOD_LABELS = {"cash": "Cash", "card": "Card", "upi": "UPI"}


@pass_context
def _money(ctx: Any, minor: int) -> str:
    settings: ShopSettings = ctx["settings"]
    return format_money(minor, settings.currency, settings.locale)


@pass_context
def _amount(ctx: Any, minor: int) -> str:
    """Money without the currency sign, for table columns (1,23,456.50)."""
    settings: ShopSettings = ctx["settings"]
    return format_decimal(
        Decimal(minor).scaleb(-2), format=_amount_format(settings.locale), locale=settings.locale
    )


@lru_cache(maxsize=8)
def _amount_format(locale: str) -> str:
    """The locale's own grouping with exactly 2 decimals ("#,##,##0.00" for en_IN)."""
    pattern = Locale.parse(locale).decimal_formats[None].pattern
    grouping = re.search(r"[#,]*0", pattern)
    return (grouping.group(0) if grouping else "#,##0") + ".00"


def _localtime(moment: Any, fmt: str = "%d-%m-%Y") -> str:
    return to_local(moment).strftime(fmt) if moment else ""


@lru_cache(maxsize=1)
def _environment() -> Environment:
    """Jinja for the PDF templates: no Flask needed, autoescape always on (user text is escaped)."""
    env = Environment(
        loader=FileSystemLoader(str(bundled("templates"))),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(money=_money, amount=_amount, localtime=_localtime, phone=display_phone)
    return env


def _static_file(uri: str, _rel: str | None) -> str:
    """Resolve a template's `static:` URL to the bundled file (fonts)."""
    if uri.startswith("static:"):
        return str(bundled("static", *uri.removeprefix("static:").split("/")))
    return uri


def _pdf(html: str, what: str) -> bytes:
    out = io.BytesIO()
    policy = ResourceAccessPolicy(base_dir=bundled("static").resolve(), allow_remote=False)
    result = pisa.CreatePDF(
        html, dest=out, encoding="utf-8", link_callback=_static_file, resource_policy=policy
    )
    if result.err:
        raise RuntimeError(f"Could not render {what} as PDF.")
    return out.getvalue()


def statement_html(data: StatementData, settings: ShopSettings) -> str:
    """Render a customer statement's HTML (the PDF's source)."""
    return (
        _environment()
        .get_template("pdf/statement.html")
        .render(data=data, customer=data.customer, settings=settings, kinds=KIND_LABELS)
    )


def render_statement_pdf(data: StatementData, settings: ShopSettings) -> bytes:
    """Render a customer statement for a date range as an A4 PDF."""
    return _pdf(statement_html(data, settings), f"the statement of customer {data.customer.id}")


def payment_html(receipt: PaymentReceipt, settings: ShopSettings) -> str:
    """Render a payment receipt's HTML (the PDF's source)."""
    return (
        _environment()
        .get_template("pdf/payment_receipt.html")
        .render(receipt=receipt, settings=settings, methods=METHOD_LABELS)
    )


def render_payment_pdf(receipt: PaymentReceipt, settings: ShopSettings) -> bytes:
    """Render a payment receipt as a PDF."""
    return _pdf(payment_html(receipt, settings), f"payment {receipt.payment.id}")
