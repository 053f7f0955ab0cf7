"""Turn models into the JSON shapes of docs/API.md (money and quantities as strings)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for

from posapp.extensions import db
from posapp.models import CreditNote, Customer, Invoice, PaymentAllocation, Product, User
from posapp.models.base import to_local
from posapp.money import money_str, percent_str, qty_str
from posapp.services import issued
from posapp.services.customers import CustomerSummary, display_phone
from posapp.services.ledger import PaymentResult
from posapp.services.ledger_views import LedgerLine
from posapp.services.pricing import PricedCart, TaxedLine, TaxRow, summarise_tax
from posapp.services.settings import load_settings


def iso(moment: datetime | None) -> str | None:
    """Render a stored time as ISO 8601 with the local offset."""
    return to_local(moment).isoformat(timespec="seconds") if moment else None


def user_json(user: User) -> dict[str, Any]:
    """Serialise a user."""
    return {"id": user.id, "username": user.username, "role": user.role}


def product_json(product: Product) -> dict[str, Any]:
    """Serialise a product."""
    return {
        "id": product.id,
        "code": product.code,
        "name": product.name,
        "category": product.category_name or None,
        "unit": product.unit,
        "price": money_str(product.price),
        "cost": money_str(product.cost),
        "mrp": money_str(product.mrp) if product.mrp is not None else None,
        "tax_rate": percent_str(product.tax_rate_bp),
        "hsn": product.hsn or None,
        "stock": qty_str(product.stock_milli, product.unit),
        "reserved": qty_str(product.reserved_milli, product.unit),
        "available": qty_str(product.stock_milli - product.reserved_milli, product.unit),
        "low_stock_threshold": qty_str(product.low_stock_milli, product.unit),
        "supplier": product.supplier or None,
        "location": product.location or None,
        "color": product.color or None,
        "scale_plu": product.scale_plu,
        "aliases": [word for word in product.aliases.split(",") if word],
        "perishable": product.perishable,
        "archived": product.archived,
        "qr_url": url_for("products.qr", product_id=product.id),
    }


def tax_heads_json(heads: TaxedLine) -> dict[str, str]:
    """The GST heads of a line or a rate row as money strings."""
    return {
        "cgst": money_str(heads.cgst),
        "sgst": money_str(heads.sgst),
        "igst": money_str(heads.igst),
        "cess": money_str(heads.cess),
    }


def tax_row_json(row: TaxRow) -> dict[str, str]:
    """One rate of a document's tax summary: taxable value, tax and its heads."""
    return {
        "rate": percent_str(row.rate_bp),
        "taxable": money_str(row.taxable),
        "tax": money_str(row.tax),
        "cgst": money_str(row.cgst),
        "sgst": money_str(row.sgst),
        "igst": money_str(row.igst),
        "cess": money_str(row.cess),
    }


def _issued(document: Invoice | CreditNote, kind: str) -> issued.Issued:
    """What the document was issued with; today's settings only for a row without a snapshot
    (rows inserted outside the app: the data migration froze every earlier document)."""
    if document.issued_as and not issued.is_legacy(document.issued_as):
        return issued.read(document.issued_as)
    return issued.for_document(document, load_settings(db.session), document.customer, kind)


def issued_json(doc: issued.Issued) -> dict[str, Any]:
    """The blocks a document prints from its snapshot: title, seller, buyer, place of supply."""
    seller, buyer, place = doc.seller, doc.buyer, doc.place_of_supply
    return {
        "title": doc.title,
        "declaration": doc.declaration or None,
        "seller": {
            "name": seller.name,
            "address": seller.address or None,
            "phone": seller.phone or None,
            "email": seller.email or None,
            "gstin": seller.gstin or None,
            "state_code": seller.state_code or None,
            "state": seller.state or None,
        },
        "buyer": (
            {
                "name": buyer.name,
                "legal_name": buyer.legal_name or None,
                "gstin": buyer.gstin or None,
                "address": buyer.address or None,
                "phone": buyer.phone or None,
                "state_code": buyer.state_code or None,
                "state": buyer.state or None,
            }
            if buyer is not None
            else None
        ),
        "place_of_supply": {"code": place.code, "name": place.name} if place else None,
    }


def _billed_ref(customer_id: int | None, doc: issued.Issued) -> dict[str, Any] | None:
    """The customer reference as billed: the id, with the name and phone of the snapshot."""
    if customer_id is None or doc.buyer is None:
        return None
    return {"id": customer_id, "name": doc.buyer.name, "phone": doc.buyer.phone}


def invoice_json(invoice: Invoice) -> dict[str, Any]:
    """Serialise an invoice with its lines, tax summary and payments, as issued."""
    doc = _issued(invoice, "invoice")
    return {
        "id": invoice.id,
        "number": invoice.number,
        "created_at": iso(invoice.created_at),
        "cashier": invoice.cashier.username,
        "customer": _billed_ref(invoice.customer_id, doc),
        **issued_json(doc),
        "lines": [
            {
                "id": line.id,
                "product_id": line.product_id,
                "code": line.code,
                "name": line.name,
                "quantity": qty_str(line.qty_milli, line.unit),
                "unit": line.unit,
                "unit_price": money_str(line.unit_price),
                "discount": money_str(line.discount),
                "tax_rate": percent_str(line.tax_rate_bp),
                "taxable": money_str(line.taxable),
                "tax": money_str(line.tax),
                **tax_heads_json(line),
                "total": money_str(line.total),
            }
            for line in invoice.lines
        ],
        "subtotal": money_str(invoice.subtotal),
        "discount_total": money_str(invoice.discount_total),
        "tax_total": money_str(invoice.tax_total),
        "tax_split": invoice.tax_split,
        "tax_summary": [
            tax_row_json(row) for row in summarise_tax(invoice.lines, invoice.tax_rule)
        ],
        "round_off": money_str(invoice.round_off),
        "total": money_str(invoice.total),
        "paid": money_str(invoice.paid),
        "change": money_str(invoice.change),
        "balance_due": money_str(invoice.balance_due),
        "status": invoice.status,
        "note": invoice.note or None,
        "returned_total": money_str(invoice.returned_total),
        "credit_notes": [
            {"id": n.id, "number": n.number, "total": money_str(n.total)}
            for n in invoice.credit_notes
        ],
        "void": (
            {
                "reason": invoice.void_reason,
                "at": iso(invoice.voided_at),
                "by": invoice.voided_by.username if invoice.voided_by else None,
            }
            if invoice.status == "void"
            else None
        ),
        # Money received later on account counts too, so the payments add up to `paid`.
        "payments": [
            {
                "method": p.method,
                "amount": money_str(p.amount),
                "created_at": iso(p.created_at),
                "reference": p.reference,
                "upi_tr": p.upi_tr,
            }
            for p in invoice.payments
        ]
        + [
            {
                "method": a.payment.method,
                "amount": money_str(a.amount),
                "created_at": iso(a.created_at),
                "reference": a.payment.reference,
                "upi_tr": a.payment.upi_tr,
            }
            for a in invoice.allocations
        ],
    }


def credit_note_json(note: CreditNote) -> dict[str, Any]:
    """Serialise a credit note with its lines and where its money went, as issued."""
    doc = _issued(note, "credit_note")
    return {
        "id": note.id,
        "number": note.number,
        "created_at": iso(note.created_at),
        "invoice": {"id": note.invoice.id, "number": note.invoice.number},
        "invoice_status": note.invoice.status,
        "user": note.user.username,
        "customer": _billed_ref(note.customer_id, doc),
        **issued_json(doc),
        "restock": note.restock,
        "refund_method": note.refund_method,
        "reason": note.reason or None,
        "lines": [
            {
                "id": line.id,
                "line_id": line.invoice_line_id,
                "product_id": line.product_id,
                "code": line.invoice_line.code,
                "name": line.invoice_line.name,
                "quantity": qty_str(line.qty_milli, line.invoice_line.unit),
                "unit": line.invoice_line.unit,
                "unit_price": money_str(line.invoice_line.unit_price),
                "tax_rate": percent_str(line.tax_rate_bp),
                "taxable": money_str(line.taxable),
                "tax": money_str(line.tax),
                **tax_heads_json(line),
                "total": money_str(line.total),
            }
            for line in note.lines
        ],
        "taxable_total": money_str(note.taxable_total),
        "tax_total": money_str(note.tax_total),
        "tax_split": note.tax_split,
        "tax_summary": [tax_row_json(row) for row in summarise_tax(note.lines, note.tax_rule)],
        "round_off": money_str(note.round_off),
        "total": money_str(note.total),
        "applied_to_balance": money_str(note.applied),
        "refund": money_str(note.refund),
        "pdf_url": url_for("api.credit_note_pdf", key=note.id),
    }


def customer_json(customer: Customer, balance: int | None = None) -> dict[str, Any]:
    """Serialise a customer (with the balance when known)."""
    body: dict[str, Any] = {
        "id": customer.id,
        "name": customer.name,
        "phone": customer.phone,
        "phone_display": display_phone(customer.phone),
        "email": customer.email or None,
        "address": customer.address or None,
        "notes": customer.notes or None,
        "gstin": customer.gstin or None,
        "legal_name": customer.legal_name or None,
        "state_code": customer.state_code or None,
        # null: no limit (0 is "no credit allowed", never the same thing)
        "credit_limit": None if customer.credit_limit is None else money_str(customer.credit_limit),
        "archived": customer.archived,
        "created_at": iso(customer.created_at),
    }
    if balance is not None:
        body["balance"] = money_str(balance)
    return body


def customer_detail_json(summary: CustomerSummary) -> dict[str, Any]:
    """Serialise a customer with balance, credit left, aging, last visit and total spent."""
    return {
        **customer_json(summary.customer, summary.balance),
        "available_credit": None if summary.available is None else money_str(summary.available),
        "aging": {name: money_str(amount) for name, amount in summary.aging.items()},
        "oldest_due": iso(summary.oldest_due),
        "last_visit": iso(summary.last_visit),
        "total_spent": money_str(summary.total_spent),
        "invoice_count": summary.invoices,
    }


def ledger_line_json(line: LedgerLine) -> dict[str, Any]:
    """Serialise a ledger entry with the running balance after it."""
    entry = line.entry
    return {
        "id": entry.id,
        "kind": entry.kind,
        "amount": money_str(entry.amount),
        "balance": money_str(line.running),
        "invoice": (
            {"id": entry.invoice_id, "number": line.invoice_number} if entry.invoice_id else None
        ),
        "payment_id": entry.payment_id,
        "note": entry.note or None,
        "user": line.username,
        "created_at": iso(entry.created_at),
    }


def allocation_json(allocation: PaymentAllocation, number: str | None) -> dict[str, Any]:
    """Serialise the part of a payment that settled one invoice."""
    return {
        "invoice_id": allocation.invoice_id,
        "invoice_number": number,
        "amount": money_str(allocation.amount),
    }


def payment_result_json(result: PaymentResult) -> dict[str, Any]:
    """Serialise an account payment with its allocations, the advance left and the balance."""
    payment = result.payment
    return {
        "id": payment.id,
        "customer_id": result.customer.id,
        "method": payment.method,
        "amount": money_str(payment.amount),
        "note": payment.note or None,
        "created_at": iso(payment.created_at),
        "allocations": [
            allocation_json(a, result.numbers.get(a.invoice_id)) for a in result.allocations
        ],
        "unallocated": money_str(result.unallocated),
        "advance": money_str(result.advance),
        "balance": money_str(result.balance),
    }


def cart_json(priced: PricedCart) -> dict[str, Any]:
    """Serialise a priced cart (the till's live preview)."""
    return {
        "lines": [
            {
                "gross": money_str(line.gross),
                "discount": money_str(line.discount),
                "taxable": money_str(line.taxable),
                "tax": money_str(line.tax),
                "total": money_str(line.total),
            }
            for line in priced.lines
        ],
        "subtotal": money_str(priced.subtotal),
        "discount_total": money_str(priced.discount_total),
        "tax_total": money_str(priced.tax_total),
        "round_off": money_str(priced.round_off),
        "total": money_str(priced.total),
    }
