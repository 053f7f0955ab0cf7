"""API: checkout, invoices and their PDFs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, current_app, request

from posapp.api import schemas as s
from posapp.api.base import (
    bp,
    caller,
    int_arg,
    json_body,
    page_envelope,
    pagination,
    requires,
    search_text,
)
from posapp.api.idempotent import IDEMPOTENCY_HEADER, KEY_DESCRIPTION, once
from posapp.api.serializers import credit_note_json, invoice_json
from posapp.apidoc import PDF, documented
from posapp.documents.invoice_pdf import (
    issued_credit_note,
    issued_invoice,
    render_credit_note_pdf,
    render_invoice_pdf,
)
from posapp.extensions import db
from posapp.models import Invoice
from posapp.services import checkout, invoices, returns
from posapp.services.hooks import Within
from posapp.services.settings import load_settings
from posapp.services.shop_settings import logo_data_uri


def _logo(name: str) -> str | None:
    """The logo a document was issued with (its snapshot's content name) as a data: URI."""
    return logo_data_uri(Path(current_app.config["DATA_DIR"]), name)


@bp.post("/invoice/create")
@documented(
    {201: s.Invoice},
    body=s.CheckoutRequest,
    errors=(404, 409),
    description=KEY_DESCRIPTION,
    headers=(IDEMPOTENCY_HEADER,),
)
@requires()
def create_invoice() -> Response:
    """Check out a cart; 201 with the invoice."""
    cart = checkout.parse_checkout(json_body())
    user, address = caller(), request.remote_addr or "?"

    def sell(within: Within[Invoice] | None) -> Invoice:
        return checkout.checkout(db.session, cart, user, address, within=within)

    return once(sell, lambda invoice: (invoice_json(invoice), 201))


@bp.get("/invoice/<key>")
@documented({200: s.Invoice})
@requires()
def get_invoice(key: str) -> dict[str, Any]:
    """Return one invoice by id or number."""
    return invoice_json(invoices.invoice_for_user(db.session, key, caller()))


@bp.get("/invoice/<key>/pdf")
@documented({200: PDF}, query=s.InvoicePdfQuery)
@requires()
def invoice_pdf(key: str) -> Response:
    """Return the invoice as an A4 PDF (the contract), or `layout=a4|a5|receipt`."""
    invoice = invoices.invoice_for_user(db.session, key, caller())
    settings = load_settings(db.session)
    pdf = render_invoice_pdf(
        invoice,
        settings,
        logo=_logo(issued_invoice(invoice, settings).seller.logo),
        # The contract promises A4 to callers that do not ask; the shop's own layout
        # setting drives only its pages.
        layout=request.args.get("layout") or "a4",
    )
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{invoice.number}.pdf"'},
    )


@bp.get("/invoices")
@documented({200: s.InvoicePage}, query=s.InvoiceQuery)
@requires()
def list_invoices() -> dict[str, Any]:
    """List invoices: q, from, to, customer_id, status, method, cashier_id, min, max.

    Cashiers see their own; `cashier_id` filters for admins only.
    """
    page, per_page = pagination()
    customer_id = int_arg("customer_id", 0) if request.args.get("customer_id") else None
    cashier_id = int_arg("cashier_id", 0) if request.args.get("cashier_id") else None
    items, total = invoices.list_invoices(
        db.session,
        caller(),
        q=search_text(),
        date_from=request.args.get("from"),
        date_to=request.args.get("to"),
        status=request.args.get("status") or None,
        customer_id=customer_id,
        method=request.args.get("method") or None,
        cashier_id=cashier_id,
        amount_min=request.args.get("min"),
        amount_max=request.args.get("max"),
        page=page,
        per_page=per_page,
    )
    return page_envelope([invoice_json(i) for i in items], total, page, per_page)


@bp.post("/invoice/<key>/return")
@documented({201: s.CreditNote}, body=s.ReturnRequest, errors=(409,))
@requires()
def return_goods(key: str) -> tuple[dict[str, Any], int]:
    """Return lines of an invoice; 201 with the credit note."""
    note = returns.create_return(db.session, key, json_body(), caller())
    return credit_note_json(note), 201


@bp.post("/invoice/<key>/void")
@documented({200: s.Invoice}, body=s.VoidRequest, errors=(409,))
@requires("admin")
def void_invoice(key: str) -> dict[str, Any]:
    """Void an invoice (admin, with a reason); the voided invoice."""
    return invoice_json(returns.void_invoice(db.session, key, json_body(), caller()))


@bp.get("/credit-note/<key>")
@documented({200: s.CreditNote})
@requires()
def get_credit_note(key: str) -> dict[str, Any]:
    """Return one credit note by id or number."""
    return credit_note_json(returns.credit_note_for_user(db.session, key, caller()))


@bp.get("/credit-note/<key>/pdf")
@documented({200: PDF})
@requires()
def credit_note_pdf(key: str) -> Response:
    """Return the A4 credit note as a PDF."""
    note = returns.credit_note_for_user(db.session, key, caller())
    settings = load_settings(db.session)
    pdf = render_credit_note_pdf(
        note, settings, _logo(issued_credit_note(note, settings).seller.logo)
    )
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{note.number}.pdf"'},
    )
