"""Posting rules for stock, purchases, suppliers, expenses and the cash drawer.

Each `post_<event>` reads only the stored columns of the event's rows, so the same rule posts
a live event inside its write transaction and replays an existing shop's history. Moving
`products.stock_value` is a separate, live-only step (`apply_*`): history does not replay it.

Rules (docs/DESIGN.md "The books"):
- a purchase debits inventory with each line's taxable value and the input tax heads, and
  credits the supplier (the part on credit) and the account it was paid from (the part paid
  now). Tax on a bill without the supplier's GSTIN cannot be claimed back: it is a cost
  ("Other expenses"), not input tax, and a debit note on such a bill takes it back the same way;
- a stock movement that is not part of a sale, return, purchase or debit note is valued at its
  stored unit cost: opening stock (and stock added by hand as a purchase with no bill) against
  opening balances, damage and loss against stock loss, a count against count differences;
- a cost changed by hand revalues the stock on hand against stock revaluation;
- an expense is paid from the drawer; pay-ins are capital, pay-outs drawings, and what a
  closed drawer is over or short goes to cash over/short, each naming its cash session.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from posapp.models import (
    CashMovement,
    CashSession,
    DebitNote,
    DebitNoteLine,
    Expense,
    Product,
    Purchase,
    PurchaseLine,
    StockMovement,
    Supplier,
    SupplierPayment,
)
from posapp.services import books
from posapp.services.books import Line, cr, dr, issue_value

# Where tax on a bill that cannot be claimed as input tax credit goes (no supplier GSTIN).
UNCLAIMABLE_TAX = "unclaimed_tax"
# Movement reasons posted by their own event's entry (sale, return, void: the sale rules;
# purchase with a bill, supplier_return: the purchase and debit note rules).
OWN_ENTRY_REASONS = frozenset({"sale", "return", "void", "supplier_return"})
STOCK_RULES = {
    "opening": "opening",
    "purchase": "opening",  # stock added by hand as a purchase, without a bill
    "adjust_damage": "stock_loss",
    "adjust_loss": "stock_loss",
    "adjust_count": "stock_count",
    # Between two shops of one owner, at cost: the opening-balances account takes the other
    # side at each shop, and the two sides cancel in HQ's consolidated books.
    "transfer_out": "opening",
    "transfer_in": "opening",
}


def _move_value(session: Session, product_id: int, delta: int) -> None:
    """Move a product's book value; a copy of the product already loaded reads it afresh."""
    books.move_stock_value(session, product_id, delta)
    loaded = session.identity_map.get(identity_key(Product, product_id))
    if loaded is not None and delta:
        session.expire(loaded, ["stock_value"])


def _line_taxable(line: PurchaseLine) -> int:
    # Lines booked before input tax was recorded store 0: their taxable value is their cost.
    return line.taxable or issue_value(line.qty_milli, line.unit_cost)


def _tax_lines(
    claimable: bool, cgst: int, sgst: int, igst: int, cess: int, debit: bool
) -> list[Line]:
    side = dr if debit else cr
    if not claimable:
        return [side(UNCLAIMABLE_TAX, cgst + sgst + igst + cess)]
    return [
        side("input_cgst", cgst),
        side("input_sgst", sgst),
        side("input_igst", igst),
        side("input_cess", cess),
    ]


def _purchase_lines(session: Session, purchase_id: int) -> list[PurchaseLine]:
    return list(
        session.scalars(
            select(PurchaseLine)
            .where(PurchaseLine.purchase_id == purchase_id)
            .order_by(PurchaseLine.id)
        )
    )


# ---------------------------------------------------------------- purchases and suppliers


def post_purchase(session: Session, purchase: Purchase) -> int | None:
    """Dr inventory Σ taxable, Dr input tax; Cr payable (on credit), Cr the paying account."""
    lines = _purchase_lines(session, purchase.id)
    taxable = sum(_line_taxable(line) for line in lines)
    cgst, sgst, igst, cess = (
        sum(getattr(line, h) for line in lines) for h in ("cgst", "sgst", "igst", "cess")
    )
    on_credit = purchase.payable - purchase.paid_now
    posting = [
        dr("inventory", taxable),
        *_tax_lines(bool(purchase.supplier_gstin), cgst, sgst, igst, cess, True),
    ]
    if on_credit:
        if purchase.supplier_id is None:
            raise ValueError(f"purchase {purchase.id} is on credit from no supplier")
        posting.append(cr("payable", on_credit, supplier_id=purchase.supplier_id))
    if purchase.paid_now:
        posting.append(cr(books.method_account(session, purchase.paid_method), purchase.paid_now))
    return books.post(
        session,
        day=books.business_day(purchase.created_at),
        source_kind="purchase",
        source_id=purchase.id,
        lines=posting,
        reference=purchase.number,
        narration=f"Purchase from {purchase.supplier or 'no supplier named'}"
        + (f", bill {purchase.reference}" if purchase.reference else ""),
        user_id=purchase.user_id,
    )


def apply_purchase(session: Session, purchase: Purchase) -> int | None:
    """Live: post the purchase and add each line's taxable value to its product's book value."""
    entry_id = post_purchase(session, purchase)
    for line in _purchase_lines(session, purchase.id):
        _move_value(session, line.product_id, _line_taxable(line))
    return entry_id


def post_supplier_payment(session: Session, payment: SupplierPayment) -> int | None:
    """Dr payable(supplier) / Cr the account the money left from; on the day it was paid."""
    return books.post(
        session,
        day=payment.paid_on,
        source_kind="supplier_payment",
        source_id=payment.id,
        lines=[
            dr("payable", payment.amount, supplier_id=payment.supplier_id),
            cr(books.method_account(session, payment.method), payment.amount),
        ],
        reference=payment.reference,
        narration=f"Payment to supplier {payment.supplier_id} by {payment.method}",
        user_id=payment.user_id,
    )


def post_supplier_opening(
    session: Session, supplier: Supplier, *, previous: int = 0, user_id: int | None = None
) -> int | None:
    """Dr opening / Cr payable(supplier): the opening balance, or its change from `previous`.

    Replaying history passes no `previous` (the whole stored opening balance); editing a
    supplier's opening balance posts only the difference, so the payable follows it.
    """
    amount = supplier.opening_balance - previous
    day = supplier.opening_date or books.business_day(supplier.created_at)
    return books.post(
        session,
        day=day,
        source_kind="supplier_opening",
        source_id=supplier.id,
        lines=[dr("opening", amount), cr("payable", amount, supplier_id=supplier.id)],
        narration=f"Opening balance of {supplier.name}" + (" changed" if previous else ""),
        user_id=user_id,
    )


def post_debit_note(session: Session, note: DebitNote) -> int | None:
    """Dr payable(supplier) amount; Cr inventory Σ taxable; Cr input tax; round-off the rest.

    The note's amount is capped at what is still owed on the bill, so sending everything
    back can differ from the lines' sum by the rounding of each line: that is round-off.
    """
    purchase = session.get(Purchase, note.purchase_id)
    claimable = bool(purchase.supplier_gstin) if purchase is not None else True
    taxable = sum(
        int(value)
        for value in session.scalars(
            select(DebitNoteLine.taxable).where(DebitNoteLine.debit_note_id == note.id)
        )
    )
    tax = note.cgst + note.sgst + note.igst
    return books.post(
        session,
        day=note.returned_on,
        source_kind="debit_note",
        source_id=note.id,
        lines=[
            dr("payable", note.amount, supplier_id=note.supplier_id),
            cr("inventory", taxable),
            *_tax_lines(claimable, note.cgst, note.sgst, note.igst, 0, False),
            dr("round_off", taxable + tax - note.amount),
        ],
        reference=note.number,
        narration=f"Goods returned to supplier against {purchase.number if purchase else ''}",
        user_id=note.user_id,
    )


def apply_debit_note(session: Session, note: DebitNote) -> int | None:
    """Live: post the note and take each line's taxable value off its product's book value."""
    entry_id = post_debit_note(session, note)
    for product_id, taxable in session.execute(
        select(DebitNoteLine.product_id, DebitNoteLine.taxable).where(
            DebitNoteLine.debit_note_id == note.id
        )
    ):
        _move_value(session, int(product_id), -int(taxable))
    return entry_id


# ---------------------------------------------------------------- stock


def movement_value(session: Session, movement: StockMovement) -> int | None:
    """What a movement adds to the inventory account (negative: takes), or None when the
    movement is part of another event's entry."""
    if movement.reason in OWN_ENTRY_REASONS or movement.reason not in STOCK_RULES:
        return None
    if movement.reason == "purchase" and movement.ref:
        return None  # booked from a purchase bill: the purchase entry carries it
    cost = movement.unit_cost
    if cost is None:
        cost = session.scalar(select(Product.cost).where(Product.id == movement.product_id)) or 0
    size = issue_value(abs(movement.delta_milli), int(cost))
    return size if movement.delta_milli > 0 else -size


def post_stock_movement(
    session: Session, movement: StockMovement, *, cash_session_id: int | None = None
) -> int | None:
    """Dr/Cr inventory against the movement's reason account by its value at its unit cost."""
    value = movement_value(session, movement)
    if not value:
        return None
    counter = STOCK_RULES[movement.reason]
    name = session.scalar(select(Product.name).where(Product.id == movement.product_id)) or ""
    return books.post(
        session,
        day=books.business_day(movement.created_at),
        source_kind="stock",
        source_id=movement.id,
        lines=[dr("inventory", value), cr(counter, value)],
        reference=movement.ref,
        narration=f"{movement.reason.replace('_', ' ').capitalize()}: {name}"[:300],
        user_id=movement.user_id,
        cash_session_id=cash_session_id,
    )


def apply_stock_movement(session: Session, movement: StockMovement) -> int | None:
    """Live: flush the movement, post it and move its product's book value by the same."""
    session.flush()
    value = movement_value(session, movement)
    entry_id = post_stock_movement(session, movement)
    if value:
        _move_value(session, movement.product_id, value)
    return entry_id


def revaluation(product: Product) -> int:
    """What the stock on hand gains (negative: loses) when valued at the product's cost now."""
    return issue_value(product.stock_milli, product.cost) - product.stock_value


def apply_revaluation(
    session: Session, product: Product, *, old_cost: int, user_id: int | None
) -> int | None:
    """Live: a cost changed by hand revalues the stock on hand (Dr/Cr inventory against
    stock revaluation) to stock × new cost. No movement row exists for it: the entry names
    the product's code as its reference and `source_id` is empty."""
    session.flush()
    session.refresh(product, ["stock_milli", "cost", "stock_value"])
    value = revaluation(product)
    entry_id = books.post(
        session,
        day=books.business_day(),
        source_kind="stock",
        source_id=None,
        lines=[dr("inventory", value), cr("stock_revaluation", value)],
        reference=product.code,
        narration=f"Cost of {product.name} changed from {old_cost} to {product.cost} paise"[:300],
        user_id=user_id,
    )
    _move_value(session, product.id, value)
    return entry_id


# ---------------------------------------------------------------- expenses and the drawer


def post_expense(session: Session, expense: Expense) -> int | None:
    """Dr the category's expense head / Cr cash in drawer, on the expense's own day."""
    return books.post(
        session,
        day=expense.day,
        source_kind="expense",
        source_id=expense.id,
        lines=[dr(f"expense_{expense.category}", expense.amount), cr("cash", expense.amount)],
        narration=expense.note or f"Expense: {expense.category}",
        user_id=expense.user_id,
    )


def post_cash_movement(session: Session, movement: CashMovement) -> int | None:
    """Pay-in: Dr cash / Cr capital; pay-out: Dr drawings / Cr cash (reclassified by hand)."""
    if movement.kind == "pay_in":
        lines: Iterable[Line] = [dr("cash", movement.amount), cr("capital", movement.amount)]
    else:
        lines = [dr("drawings", movement.amount), cr("cash", movement.amount)]
    return books.post(
        session,
        day=books.business_day(movement.created_at),
        source_kind="cash_move",
        source_id=movement.id,
        lines=lines,
        narration=movement.reason,
        user_id=movement.user_id,
        cash_session_id=movement.cash_session_id,
    )


def post_over_short(session: Session, cash: CashSession) -> int | None:
    """At close: over Dr cash / Cr over/short; short the reverse. None when it balanced."""
    if cash.closed_at is None or not cash.over_short:
        return None
    return books.post(
        session,
        day=books.business_day(cash.closed_at),
        source_kind="over_short",
        source_id=cash.id,
        lines=[dr("cash", cash.over_short), cr("over_short", cash.over_short)],
        narration=f"Cash {'over' if cash.over_short > 0 else 'short'} at close",
        user_id=cash.closed_by_id,
        cash_session_id=cash.id,
    )
