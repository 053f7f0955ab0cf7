"""Customer documents as PDFs (xhtml2pdf): the account statement and the payment receipt.

Both are the customer's own papers, so they speak the customer's language (customers.language),
else the shop's documents' language.
"""

from __future__ import annotations

from posapp.documents.language import customer_language
from posapp.documents.pdf import environment, html_to_pdf
from posapp.documents.upi_pdf import qr_data_uri
from posapp.services import upi
from posapp.services.ledger_views import PaymentReceipt, StatementData
from posapp.services.settings import ShopSettings


def statement_html(data: StatementData, settings: ShopSettings) -> str:
    """Render a customer statement's HTML (the PDF's source); with a UPI ID set and a
    closing balance due, a UPI QR for that balance."""
    payee = upi.payee_of(settings)
    upi_qr = None
    if payee is not None and data.closing > 0:
        link = upi.khata_link(payee, data.customer.id, data.closing, data.end)
        upi_qr = {"image": qr_data_uri(link), "amount": data.closing, "vpa": payee.vpa}
    return (
        environment()
        .get_template("pdf/statement.html")
        .render(
            data=data,
            customer=data.customer,
            settings=settings,
            upi_qr=upi_qr,
            document_language=customer_language(
                data.customer.language, settings.documents_language
            ),
        )
    )


def render_statement_pdf(data: StatementData, settings: ShopSettings) -> bytes:
    """Render a customer statement for a date range as an A4 PDF."""
    return html_to_pdf(
        statement_html(data, settings), f"the statement of customer {data.customer.id}"
    )


def payment_html(receipt: PaymentReceipt, settings: ShopSettings) -> str:
    """Render a payment receipt's HTML (the PDF's source)."""
    return (
        environment()
        .get_template("pdf/payment_receipt.html")
        .render(
            receipt=receipt,
            settings=settings,
            document_language=customer_language(
                receipt.customer.language, settings.documents_language
            ),
        )
    )


def render_payment_pdf(receipt: PaymentReceipt, settings: ShopSettings) -> bytes:
    """Render a payment receipt as a PDF."""
    return html_to_pdf(payment_html(receipt, settings), f"payment {receipt.payment.id}")
