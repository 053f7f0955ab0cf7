"""The packing slip / delivery note of an order as a PDF, A4 or an 80 mm roll (xhtml2pdf).

It prints what to pack and where it goes, the amount to collect, and a QR code whose text is
exactly the order number ("ORD-12"): the till's scan field opens the order from it.
"""

from __future__ import annotations

import base64
from typing import Any

from posapp.documents.filters import day_text, localtime
from posapp.documents.pdf import environment, html_to_pdf
from posapp.documents.qr import qr_png
from posapp.models.orders import Order
from posapp.services.customers import display_phone
from posapp.services.settings import ShopSettings

# size -> template; both read slip_context.
SLIP_TEMPLATES = {"a4": "pdf/order_slip.html", "80mm": "pdf/order_slip_receipt.html"}
SLIP_SIZES = tuple(SLIP_TEMPLATES)


def order_qr(order: Order) -> str:
    """The QR of the order number, as printed and as the till reads it, as a PNG data: URI."""
    return "data:image/png;base64," + base64.b64encode(qr_png(order.number, 6)).decode("ascii")


def slip_height_mm(order: Order) -> int:
    """The 80 mm slip's page length from its rows, so a roll is not fed an A4 length."""
    rows = 2 * len(order.lines) + (3 if order.address else 0) + (2 if order.note else 0)
    return min(2000, 75 + 5 * rows)


def slip_context(order: Order, settings: ShopSettings, due: int, advance: int) -> dict[str, Any]:
    """Everything a slip prints: the order, whose it is, the QR, the amount to collect."""
    return {
        "settings": settings,
        "order": order,
        "customer": order.customer,
        "phone": display_phone(order.customer.phone),
        # The shop's date style, as on every page and document (DD-MM-YYYY in India).
        "taken": localtime(order.created_at, settings.locale),
        "slot_date": day_text(order.slot_date, settings.locale),
        "qr": order_qr(order),
        "due": due,
        "advance": advance,
        "width_mm": 80,
        "page_height_mm": slip_height_mm(order),
    }


def slip_html(order: Order, settings: ShopSettings, size: str, due: int, advance: int) -> str:
    """The slip's HTML in a size ("a4" or "80mm"), the PDF's source."""
    context = slip_context(order, settings, due, advance)
    return environment().get_template(SLIP_TEMPLATES[size]).render(context)


def render_order_slip(
    order: Order, settings: ShopSettings, size: str, due: int, advance: int = 0
) -> bytes:
    """The packing slip / delivery note as PDF bytes; `due` is what to collect at the door."""
    return html_to_pdf(slip_html(order, settings, size, due, advance), f"order {order.number}")
