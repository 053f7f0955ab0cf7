"""The Z-report of a closed cash session as an 80 mm PDF (templates/pdf/z_report.html)."""

from __future__ import annotations

from posapp.documents.filters import localtime
from posapp.documents.pdf import environment, html_to_pdf
from posapp.services.cash_sessions import ZReport
from posapp.services.settings import ShopSettings

TEMPLATE = "pdf/z_report.html"


def z_report_html(report: ZReport, settings: ShopSettings) -> str:
    """Render the Z-report's HTML (the PDF's source)."""
    cash = report.cash
    return (
        environment()
        .get_template(TEMPLATE)
        .render(
            report=report,
            cash=cash,
            settings=settings,
            opened=localtime(cash.opened_at, settings.locale),
            closed=localtime(cash.closed_at, settings.locale),
        )
    )


def render_z_report_pdf(report: ZReport, settings: ShopSettings) -> bytes:
    """Render the Z-report as an 80 mm wide PDF."""
    return html_to_pdf(z_report_html(report, settings), f"Z-report {report.cash.id}")
