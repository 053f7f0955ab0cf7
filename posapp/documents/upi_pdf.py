"""UPI documents as PDFs: the "Pay by UPI" counter card (A5, the static QR without amount),
and the QR image every PDF embeds (`qr_data_uri`)."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from posapp.documents.pdf import environment, html_to_pdf
from posapp.services import upi
from posapp.services.issued import Issued
from posapp.services.settings import ShopSettings


@dataclass(frozen=True)
class DocumentQr:
    """The UPI QR an issued document prints: the link, its PNG as a data: URI, the amount."""

    link: str
    image: str
    amount: int
    vpa: str


def qr_data_uri(link: str) -> str:
    """The link's QR code as a PNG data: URI (xhtml2pdf reads it without any file)."""
    return "data:image/png;base64," + base64.b64encode(upi.qr_png(link)).decode("ascii")


def document_qr(doc: Issued, number: str, status: str) -> DocumentQr | None:
    """The UPI QR of an issued invoice (the balance due at issue, to the UPI ID of that day),
    or None: issued without one, or void (a void bill asks for nothing)."""
    link = doc.upi_link(number)
    if link is None or doc.upi is None or status == "void":
        return None
    return DocumentQr(link, qr_data_uri(link), int(doc.upi["amount"]), str(doc.upi["vpa"]))


def counter_card_html(settings: ShopSettings, payee: upi.Payee) -> str:
    """The counter card's HTML (the PDF's source)."""
    return (
        environment()
        .get_template("pdf/upi_card.html")
        .render(settings=settings, payee=payee, qr=qr_data_uri(upi.pay_link(payee)))
    )


def render_counter_card(settings: ShopSettings, payee: upi.Payee) -> bytes:
    """The "Pay by UPI" counter card as an A5 PDF."""
    return html_to_pdf(counter_card_html(settings, payee), "the Pay by UPI card")
