"""A supplier's statement of account as a PDF (xhtml2pdf), like the customer statement."""

from __future__ import annotations

from posapp.documents.pdf import environment, html_to_pdf
from posapp.services.settings import ShopSettings
from posapp.services.suppliers import Statement


def statement_html(data: Statement, settings: ShopSettings) -> str:
    """Render a supplier statement's HTML (the PDF's source)."""
    return (
        environment()
        .get_template("pdf/supplier_statement.html")
        .render(data=data, supplier=data.supplier, settings=settings)
    )


def render_statement_pdf(data: Statement, settings: ShopSettings) -> bytes:
    """Render a supplier statement for a date range as an A4 PDF."""
    return html_to_pdf(
        statement_html(data, settings), f"the statement of supplier {data.supplier.id}"
    )
