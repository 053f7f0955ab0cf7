"""A statement of the books (trial balance, P&L, ledgers, registers) as an A4 PDF."""

from __future__ import annotations

from posapp.documents.pdf import environment, html_to_pdf
from posapp.services.books_reports import Statement
from posapp.services.settings import ShopSettings

TEMPLATE = "pdf/books_statement.html"
# Registers and the GST ledger have ten columns: they print across the page.
WIDE_COLUMNS = 7


def statement_html(statement: Statement, settings: ShopSettings) -> str:
    """Render the statement's HTML (the PDF's source)."""
    return (
        environment()
        .get_template(TEMPLATE)
        .render(
            statement=statement,
            zip=zip,
            settings=settings,
            landscape=len(statement.columns) >= WIDE_COLUMNS,
        )
    )


def render_statement_pdf(statement: Statement, settings: ShopSettings) -> bytes:
    """Render the statement as an A4 PDF (landscape when it is wide)."""
    return html_to_pdf(statement_html(statement, settings), statement.title)
