"""The books' posting rules for the sales side: sales, voids, returns, customers' money.

Each `post_<event>` reads only the stored columns of the event's rows (and their lines), so
the same function posts a sale at the till and replays an existing shop's history. It is
called inside the event's own write transaction. What history does not replay is the live
move of `products.stock_value` (the stock's book value), done by the separate `*_stock_value`
helpers here or, for a sale, in the very UPDATE that takes the stock (`sale_writer`).

Rules (docs/DESIGN.md "The books"):
- a sale is booked net of its discounts: Cr sales the lines' taxable values, Cr output tax
  per head, Cr round-off; Dr the account each tender landed in and Dr receivable (the
  customer) the part left on credit; Dr cost of goods sold / Cr inventory what the goods
  cost (`books.issue_value` of each line's quantity at its stored unit cost);
- a void reverses the sale's entry on the void's day; the tenders come back out of the
  drawer they went in (the entry names the sale's cash session);
- a return mirrors its share of the sale: Dr sales returns and the output taxes; Cr the
  cash refunded and/or receivable for what came off the customer's dues or went to their
  credit; restocked goods go back into inventory at the sale line's unit cost;
- a payment on account: Dr the method's account / Cr receivable; a ledger opening balance
  Dr receivable / Cr opening balances; an adjustment moves receivable against discounts
  allowed (a raise is a negative discount).
Every receivable line names its customer, so receivable = the sum of the khata.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from posapp.models import (
    CreditNote,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    Payment,
)
from posapp.services import books
from posapp.services.books import Line, cr, dr
from posapp.services.pricing import TaxedLine, summarise_tax

# Ledger kinds posted by their own event (the sale, its void, a return, a payment): a
# ledger entry of these kinds posts nothing of its own.
_POSTED_BY_THEIR_EVENT = frozenset({"credit_sale", "payment", "return", "void"})


def _tax_lines(lines: Iterable[TaxedLine], rule: int) -> list[Line]:
    """The output-tax heads of a document's lines, summed as the document prints them.

    Documents issued under the legacy tax rule stored only each line's whole tax; their heads
    are split per rate row exactly as they were printed (`summarise_tax`).
    """
    cgst = sgst = igst = cess = 0
    for row in summarise_tax(lines, rule):
        cgst += row.cgst
        sgst += row.sgst
        igst += row.igst
        cess += row.cess
    return [
        cr("output_cgst", cgst),
        cr("output_sgst", sgst),
        cr("output_igst", igst),
        cr("output_cess", cess),
    ]


def _flipped(lines: Iterable[Line]) -> list[Line]:
    """Every debit a credit and back (a return's tax mirrors the sale's)."""
    return [
        Line(line.account, line.credit, line.debit, line.customer_id, line.supplier_id)
        for line in lines
    ]


def sale_tenders(invoice: Invoice) -> list[Payment]:
    """The money taken at the till for a sale (not the refunds of its later credit notes)."""
    return [p for p in invoice.payments if p.credit_note_id is None]


def cost_by_product(lines: Iterable[InvoiceLine]) -> dict[int, int]:
    """What the goods of a sale's lines cost, per product (the inventory account's move)."""
    cost: dict[int, int] = {}
    for line in lines:
        cost[line.product_id] = cost.get(line.product_id, 0) + books.issue_value(
            line.qty_milli, line.unit_cost
        )
    return cost


def post_sale(session: Session, invoice: Invoice) -> int | None:
    """Post a sale's entry (source `sale`, the invoice's id); return the entry's id.

    Reads the invoice, its lines and its till payments; the credit part is what the tenders
    left of the total (it is the bill's `credit_sale` ledger entry). A payment method's
    account is looked up only for methods other than cash.
    """
    tenders = sale_tenders(invoice)
    lines = invoice.lines
    cash_id: int | None = None
    entry: list[Line] = []
    received = 0
    for payment in tenders:
        received += payment.amount
        if payment.method == "cash":
            if cash_id is None:
                cash_id = books.system_ids(session)["cash"]
            entry.append(dr(cash_id, payment.amount))
        else:
            entry.append(dr(books.method_account(session, payment.method), payment.amount))
    credit = invoice.total - received
    if credit:
        if invoice.customer_id is None:
            raise ValueError(f"sale {invoice.id}: {credit} on credit without a customer")
        entry.append(dr("receivable", credit, customer_id=invoice.customer_id))
    entry.append(cr("sales", sum(line.taxable for line in lines)))
    entry.extend(_tax_lines(lines, invoice.tax_rule))
    entry.append(cr("round_off", invoice.round_off))
    cost = sum(cost_by_product(lines).values())
    entry.append(dr("cogs", cost))
    entry.append(cr("inventory", cost))
    return books.post(
        session,
        day=books.business_day(invoice.created_at),
        source_kind="sale",
        source_id=invoice.id,
        lines=entry,
        narration="Sale",
        reference=invoice.number,
        user_id=invoice.cashier_id,
        cash_session_id=invoice.cash_session_id,
        created_at=invoice.created_at,
    )


def post_void(session: Session, invoice: Invoice) -> int | None:
    """Post a void (source `void`, the invoice's id): the mirror of the sale's entry.

    A void refunds nothing of its own: money customers paid towards the bill on account stays
    theirs as an advance (their payments' entries stand), and the tenders taken at the till
    come back out of the sale's drawer, which the reversal names.
    """
    if invoice.voided_at is None:
        raise ValueError(f"invoice {invoice.id} is not void")
    posted = books.entries_of(session, "sale", invoice.id)
    if not posted:
        return None  # a bill of nothing moved no account
    return books.reverse(
        session,
        posted[0].id,
        day=books.business_day(invoice.voided_at),
        narration=f"Void: {invoice.void_reason}",
        source_kind="void",
        source_id=invoice.id,
        user_id=invoice.voided_by_id,
        cash_session_id=invoice.cash_session_id,
    )


def void_stock_value(session: Session, invoice: Invoice) -> None:
    """Live: a void's goods go back into the stock's book value at what the sale took out."""
    for product_id, value in cost_by_product(invoice.lines).items():
        books.move_stock_value(session, product_id, value)


def return_cost_by_product(note: CreditNote) -> dict[int, int]:
    """What a restocked return puts back into inventory, per product (0 when not restocked):
    each line's quantity at the unit cost its invoice line was sold at."""
    if not note.restock:
        return {}
    cost: dict[int, int] = {}
    for line in note.lines:
        cost[line.product_id] = cost.get(line.product_id, 0) + books.issue_value(
            line.qty_milli, line.invoice_line.unit_cost
        )
    return cost


def post_return(session: Session, note: CreditNote) -> int | None:
    """Post a credit note's entry (source `return`, the note's id); return the entry's id.

    `applied` came off what the customer owed; `refund` went back in cash or onto the
    customer's account (store credit). Both of the latter parts credit receivable.
    """
    lines = note.lines
    entry: list[Line] = [dr("sales_returns", sum(line.taxable for line in lines))]
    entry.extend(_flipped(_tax_lines(lines, note.tax_rule)))
    entry.append(dr("round_off", note.round_off))
    to_dues = note.applied + (note.refund if note.refund_method == "credit" else 0)
    if to_dues:
        if note.customer_id is None:
            raise ValueError(f"credit note {note.id}: {to_dues} to the dues of no customer")
        entry.append(cr("receivable", to_dues, customer_id=note.customer_id))
    if note.refund and note.refund_method != "credit":
        entry.append(cr(books.method_account(session, note.refund_method), note.refund))
    back = sum(return_cost_by_product(note).values())
    entry.append(dr("inventory", back))
    entry.append(cr("cogs", back))
    return books.post(
        session,
        day=books.business_day(note.created_at),
        source_kind="return",
        source_id=note.id,
        lines=entry,
        narration=f"Return against {note.invoice.number}" if note.invoice else "Return",
        reference=note.number,
        user_id=note.user_id,
        cash_session_id=note.cash_session_id,
        created_at=note.created_at,
    )


def return_stock_value(session: Session, note: CreditNote) -> None:
    """Live: restocked goods go back into the stock's book value (as `post_return` books)."""
    for product_id, value in return_cost_by_product(note).items():
        books.move_stock_value(session, product_id, value)


def is_account_payment(payment: Payment) -> bool:
    """A customer's payment on account: no bill, no credit note, money that was received.

    Till tenders post with their sale, refunds and store credit with their credit note.
    """
    return (
        payment.invoice_id is None
        and payment.credit_note_id is None
        and payment.customer_id is not None
        and payment.method != "credit"
    )


def post_customer_payment(session: Session, payment: Payment) -> int | None:
    """Post a payment on account (source `payment`): Dr the method's account / Cr receivable.

    Returns None for payments that are not on account (they post with their sale or note).
    """
    if not is_account_payment(payment):
        return None
    return books.post(
        session,
        day=books.business_day(payment.created_at),
        source_kind="payment",
        source_id=payment.id,
        lines=[
            dr(books.method_account(session, payment.method), payment.amount),
            cr("receivable", payment.amount, customer_id=payment.customer_id),
        ],
        narration="Payment on account",
        reference=f"PAY-{payment.id}",
        user_id=payment.user_id,
        cash_session_id=payment.cash_session_id,
        created_at=payment.created_at,
    )


def post_ledger_entry(session: Session, entry: LedgerEntry) -> int | None:
    """Post a khata entry that no other event posts (source `ledger`): an opening balance
    (Dr receivable / Cr opening balances) or an admin's adjustment (receivable against
    discounts allowed). Entries of sales, payments, returns and voids return None."""
    if entry.kind in _POSTED_BY_THEIR_EVENT:
        return None
    if entry.kind == "opening":
        other, narration = "opening", "Opening balance"
    elif entry.kind == "adjustment":
        other, narration = "discounts", f"Adjustment: {entry.note}"
    else:
        raise ValueError(f"ledger entry {entry.id}: no posting rule for kind {entry.kind!r}")
    return books.post(
        session,
        day=books.business_day(entry.created_at),
        source_kind="ledger",
        source_id=entry.id,
        lines=[
            dr("receivable", entry.amount, customer_id=entry.customer_id),
            cr(other, entry.amount),
        ],
        narration=narration,
        user_id=entry.user_id,
        created_at=entry.created_at,
    )
