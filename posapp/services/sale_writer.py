"""The writes of one sale: Core inserts, the stock deduction, and the ORM objects rebuilt.

A sale is on the till's hot path, so its rows go in with Core statements built once (the ORM
unit of work's per-object bookkeeping was most of a checkout's time, docs/BENCHMARKS.md) and
the `Invoice`, its lines and payments are rebuilt from the very values written, as if loaded,
so the answer needs no read-back.

Each table's row comes from one function (`invoice_row`, `line_rows`, `movement_rows`,
`payment_rows`) that names every column except those in `LEFT_TO_THE_DATABASE`;
tests/services/test_sale_writer.py compares their keys with the tables' columns, so a column added
to a model cannot be left out silently (a rebuilt object missing one would lazy-load it, or
show it as None). The same functions' rows are what the rebuilt objects are made of.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import bindparam, case, insert, or_, update
from sqlalchemy.orm import Session, make_transient_to_detached, scoped_session
from sqlalchemy.orm.attributes import set_committed_value

from posapp.errors import InsufficientStock
from posapp.i18n import _
from posapp.models import (
    Customer,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
    Product,
    StockMovement,
    User,
)
from posapp.models.base import table
from posapp.money import qty_str
from posapp.services import books, ledger
from posapp.services.pricing import TAX_RULE, PricedCart
from posapp.services.settlement import Settlement

_INVOICES = table(Invoice)
_LINES = table(InvoiceLine)
_MOVEMENTS = table(StockMovement)
_PAYMENTS = table(Payment)
_PRODUCTS = table(Product)

# Columns a sale's rows leave to the database, per table: only the generated primary keys.
# Every other column is named in its row function, even when it has a default, because the
# rebuilt objects are made of these rows and must be complete.
LEFT_TO_THE_DATABASE: dict[str, frozenset[str]] = {
    "invoices": frozenset({"id"}),
    "invoice_lines": frozenset({"id"}),
    "stock_movements": frozenset({"id"}),
    "payments": frozenset({"id"}),
}

# Built once, on the session's connection. Lines and payments come back with their ids and a
# key that is unique within the sale (a line's position, a payment's method: `settle` applies
# at most one per method), matched on that key rather than on the order rows come back in:
# asking SQLAlchemy for the order (`sort_by_parameter_order`) made it send one INSERT per row
# on SQLite instead of one multi-row INSERT … RETURNING.
_INSERT_INVOICE = insert(_INVOICES)
_INSERT_LINES = insert(_LINES).returning(_LINES.c.position, _LINES.c.id)
_INSERT_MOVEMENTS = insert(_MOVEMENTS)
_INSERT_PAYMENTS = insert(_PAYMENTS).returning(_PAYMENTS.c.method, _PAYMENTS.c.id)


class SoldProduct(Protocol):
    """What a sale copies of a product onto its line (a row of `products`)."""

    id: int
    code: str
    name: str
    unit: str
    hsn: str
    price: int
    cost: int
    is_service: bool  # a service (a delivery charge) is sold without stock


@dataclass(frozen=True)
class Sale:
    """Everything one sale writes, decided before the first write."""

    number: str
    fy: int
    seq: int
    created_at: datetime
    cashier: User
    cashier_id: int
    customer: Customer | None
    prices_include_tax: bool
    products: Sequence[SoldProduct]
    qty_milli: Sequence[int]
    priced: PricedCart
    settlement: Settlement
    note: str
    cash_session_id: int | None
    allow_negative_stock: bool
    # Under the policy "warn" the stock may go negative, but not into what confirmed orders
    # hold unless an admin approved it: then `allow_negative_stock` and `keep_held` both hold.
    keep_held: bool = False
    place_of_supply: str = ""  # GST state code; how the tax was split is `priced.tax_split`
    # Each line's unit price when one was changed at the counter (empty: the products').
    unit_prices: tuple[int, ...] = ()
    # What the invoice was issued with (services/issued.py), as stored in `issued_as`.
    issued_as: str | None = None


@dataclass
class WrittenSale:
    """A written sale: its rebuilt objects and the line rows they were made of."""

    invoice: Invoice
    lines: list[InvoiceLine]
    payments: list[Payment]
    line_rows: list[dict[str, Any]]
    allocations: list[PaymentAllocation] = field(default_factory=list)

    def objects(self) -> list[Any]:
        """The objects of the sale an answer reads: kept loaded through the commit."""
        kept: list[Any] = [self.invoice, *self.lines, *self.payments, *self.allocations]
        if self.invoice.customer is not None:
            kept.append(self.invoice.customer)
        return kept


def invoice_row(sale: Sale) -> dict[str, Any]:
    """The `invoices` row of a sale (every column but the id)."""
    priced = sale.priced
    paid = sum(p.amount for p in sale.settlement.applied)
    return {
        "number": sale.number,
        "fy": sale.fy,
        "seq": sale.seq,
        "created_at": sale.created_at,
        "cashier_id": sale.cashier_id,
        "customer_id": sale.customer.id if sale.customer else None,
        "prices_include_tax": sale.prices_include_tax,
        "subtotal": priced.subtotal,
        "discount_total": priced.discount_total,
        "bill_discount": priced.bill_discount,
        "tax_total": priced.tax_total,
        "round_off": priced.round_off,
        "total": priced.total,
        "paid": paid,
        "tendered": sale.settlement.tendered,
        "change": sale.settlement.change,
        "status": ledger.invoice_status(priced.total, paid),
        "note": sale.note,
        "returned_total": 0,
        "voided_at": None,
        "voided_by_id": None,
        "void_reason": "",
        "cash_session_id": sale.cash_session_id,
        "tax_split": priced.tax_split,
        "place_of_supply": sale.place_of_supply,
        "tax_rule": TAX_RULE,
        "issued_as": sale.issued_as,
    }


def line_rows(sale: Sale, invoice_id: int) -> list[dict[str, Any]]:
    """The `invoice_lines` rows of a sale, in cart order (every column but the id)."""
    return [
        {
            "invoice_id": invoice_id,
            "position": position,
            "product_id": product.id,
            "code": product.code,
            "name": product.name,
            "unit": product.unit,
            "hsn": product.hsn,
            "unit_price": sale.unit_prices[position - 1] if sale.unit_prices else product.price,
            "qty_milli": qty,
            "gross": line.gross,
            "line_discount": line.line_discount,
            "bill_discount_share": line.bill_discount_share,
            "tax_rate_bp": line.tax_rate_bp,
            "taxable": line.taxable,
            "tax": line.tax,
            "cgst": line.cgst,
            "sgst": line.sgst,
            "igst": line.igst,
            "cess": line.cess,
            "total": line.total,
            # A service has no stock, so nothing leaves the inventory's book value for it.
            "unit_cost": 0 if product.is_service else product.cost,
        }
        for position, (product, qty, line) in enumerate(
            zip(sale.products, sale.qty_milli, sale.priced.lines, strict=True), start=1
        )
    ]


def quantities_by_product(sale: Sale) -> dict[int, int]:
    """What each product of the sale loses (a product on two lines loses both at once); a
    service has no stock and loses nothing."""
    needed: dict[int, int] = {}
    for product, qty in zip(sale.products, sale.qty_milli, strict=True):
        if product.is_service:
            continue
        needed[product.id] = needed.get(product.id, 0) + qty
    return needed


def value_by_product(rows: Sequence[Mapping[str, Any]]) -> dict[int, int]:
    """What each product's stock is worth at the sale's unit costs (per line, then summed,
    as the sale's entry credits inventory)."""
    value: dict[int, int] = {}
    for row in rows:
        value[row["product_id"]] = value.get(row["product_id"], 0) + books.issue_value(
            row["qty_milli"], row["unit_cost"]
        )
    return value


def movement_rows(sale: Sale, needed: dict[int, int]) -> list[dict[str, Any]]:
    """The `stock_movements` rows of a sale, one per product (every column but the id)."""
    return [
        {
            "product_id": product_id,
            "delta_milli": -qty,
            "reason": "sale",
            "ref": sale.number,
            "note": "",
            "unit_cost": None,  # a sale books no cost; purchases do
            "user_id": sale.cashier_id,
            "created_at": sale.created_at,
        }
        for product_id, qty in needed.items()
    ]


def payment_rows(sale: Sale, invoice_id: int) -> list[dict[str, Any]]:
    """The `payments` rows of a sale: money received, not the credit part (every column but
    the id)."""
    return [
        {
            "invoice_id": invoice_id,
            "customer_id": None,
            "method": p.method,
            "amount": p.amount,
            "note": "",
            "reference": p.reference,
            "upi_tr": p.upi_tr,
            "created_at": sale.created_at,
            "user_id": sale.cashier_id,
            "credit_note_id": None,
            "cash_session_id": sale.cash_session_id,
        }
        for p in sale.settlement.applied
    ]


def write_sale(session: Session, sale: Sale) -> WrittenSale:
    """Write a sale inside the caller's transaction and return its objects, as if loaded.

    Stock is taken after the invoice row, as before the split; too little stock raises
    `InsufficientStock` and the caller's transaction rolls everything back.
    """
    connection = session.connection()
    values = invoice_row(sale)
    inserted = connection.execute(_INSERT_INVOICE, values).inserted_primary_key
    if inserted is None:
        raise RuntimeError("the database gave no id for the new invoice")
    invoice_id = int(inserted[0])
    needed = quantities_by_product(sale)
    lines_written = line_rows(sale, invoice_id)
    # The stock's book value leaves with the goods, in the same UPDATE: what the inventory
    # account loses for each product (services/books_sales.py).
    if needed:
        deduct_stock(
            session,
            needed,
            sale.allow_negative_stock,
            value_by_product(lines_written),
            keep_held=sale.keep_held,
        )
    line_ids: dict[int, int] = {
        position: line_id
        for position, line_id in connection.execute(_INSERT_LINES, lines_written).all()
    }
    if needed:
        connection.execute(_INSERT_MOVEMENTS, movement_rows(sale, needed))
    payments_written = payment_rows(sale, invoice_id)
    payment_ids: dict[str, int] = (
        {
            method: payment_id
            for method, payment_id in connection.execute(_INSERT_PAYMENTS, payments_written)
        }
        if payments_written
        else {}
    )
    if len(line_ids) != len(lines_written) or len(payment_ids) != len(payments_written):
        # Two rows with one key would hand two objects the same id: refuse the whole sale
        # (the caller's transaction rolls back) rather than keep a wrong object in the session.
        raise RuntimeError("a sale's lines or payments came back without a key of their own")

    invoice = _loaded(session, Invoice(id=invoice_id, **values))
    lines = [
        _loaded(session, InvoiceLine(id=line_ids[row["position"]], **row)) for row in lines_written
    ]
    payments = [
        _loaded(session, Payment(id=payment_ids[row["method"]], **row)) for row in payments_written
    ]
    # Every relationship a receipt or an answer reads, set as loaded: none lazy-loads later,
    # not even with the session closed.
    set_committed_value(invoice, "lines", lines)
    set_committed_value(invoice, "payments", payments)
    set_committed_value(invoice, "credit_notes", [])  # a bill just made has none
    set_committed_value(invoice, "customer", sale.customer)
    set_committed_value(invoice, "cashier", sale.cashier)
    set_committed_value(invoice, "voided_by", None)
    for child in (*lines, *payments):
        set_committed_value(child, "invoice", invoice)
    return WrittenSale(invoice, lines, payments, lines_written)


def set_allocations(sale: WrittenSale, allocations: list[PaymentAllocation]) -> None:
    """Set a written sale's allocations (what an advance paid of it) as loaded."""
    sale.allocations = allocations
    set_committed_value(sale.invoice, "allocations", allocations)


def _loaded(session: Session, obj: Any) -> Any:
    """Make an object built from the values just written persistent and clean, as if loaded.

    It joins the identity map without a query; a change made to it later in the transaction
    (a credit sale settled from an advance) is flushed as an UPDATE like any loaded object's.
    """
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


@contextmanager
def kept_through_commit(session: Session) -> Iterator[list[Any]]:
    """Keep the objects put in the yielded list loaded through the commit inside the block.

    Everything else in the session is expired after the block, as a commit would; the sale's
    objects stay as written, so building the answer reads nothing back. On an error nothing is
    kept and the session's own expiry applies.
    """
    real = session() if isinstance(session, scoped_session) else session
    expire_on_commit = real.expire_on_commit
    real.expire_on_commit = False
    kept: list[Any] = []
    try:
        yield kept
    finally:
        real.expire_on_commit = expire_on_commit
    for obj in list(real.identity_map.values()):
        if not any(obj is k for k in kept):
            real.expire(obj)


@lru_cache(maxsize=500)  # a bill takes at most limits.MAX_CART_LINES (500) lines
def _take_stock(products: int, allow_negative: bool, keep_held: bool = False) -> Any:
    """The stock UPDATE for a bill of `products` distinct products, built once per size.

    Parameters id_0…, q_0…, v_0…: each product's id, the quantity it loses and what that
    quantity is worth in the books. Products with too little stock to spare (on hand less what
    confirmed orders hold; unless negative stock is allowed) are not updated and not returned.
    With `keep_held`, negative stock is allowed only for a product no order holds.
    """
    # Typed, so PostgreSQL compares a BIGINT with a BIGINT (an untyped CASE result is text).
    ids = [bindparam(f"id_{i}", type_=_PRODUCTS.c.id.type) for i in range(products)]
    quantities = [bindparam(f"q_{i}", type_=_PRODUCTS.c.stock_milli.type) for i in range(products)]
    values = [bindparam(f"v_{i}", type_=_PRODUCTS.c.stock_value.type) for i in range(products)]
    qty = case(*((_PRODUCTS.c.id == ids[i], quantities[i]) for i in range(products)))
    value = case(*((_PRODUCTS.c.id == ids[i], values[i]) for i in range(products)))
    stmt = update(_PRODUCTS).where(_PRODUCTS.c.id.in_(ids))
    stmt = stmt.where(*_spare_condition(qty, allow_negative, keep_held))
    return stmt.values(
        stock_milli=_PRODUCTS.c.stock_milli - qty, stock_value=_PRODUCTS.c.stock_value - value
    ).returning(_PRODUCTS.c.id)


def _spare_condition(qty: Any, allow_negative: bool, keep_held: bool) -> list[Any]:
    """The WHERE terms that keep a sale off stock it may not take."""
    spare = _PRODUCTS.c.stock_milli - _PRODUCTS.c.reserved_milli >= qty
    if not allow_negative:
        return [spare]
    if keep_held:
        return [or_(_PRODUCTS.c.reserved_milli == 0, spare)]
    return []


def deduct_stock(
    session: Session,
    needed: dict[int, int],
    allow_negative: bool,
    value: Mapping[int, int] | None = None,
    *,
    keep_held: bool = False,
) -> None:
    """Take stock with one conditional update so two tills can never sell the same last unit,
    nor a unit a confirmed order holds (`reserved_milli`).

    Every product of the bill in one statement (not one per product), which also lowers each
    product's `stock_value` by `value[product_id]`. A product with too little stock is not
    among the rows it returns; it is named, and the caller's transaction rolls back, so
    nothing is written.
    """
    value = value or {}
    connection = session.connection()
    if connection.dialect.update_returning:
        params: dict[str, int] = {}
        for i, (product_id, wanted) in enumerate(needed.items()):
            params[f"id_{i}"] = product_id
            params[f"q_{i}"] = wanted
            params[f"v_{i}"] = value.get(product_id, 0)
        stmt = _take_stock(len(needed), allow_negative, keep_held)
        changed = set(connection.execute(stmt, params).scalars())
    else:  # MariaDB/MySQL have no UPDATE … RETURNING: one conditional update per product
        changed = set()
        for product_id, wanted in needed.items():
            one = update(_PRODUCTS).where(_PRODUCTS.c.id == product_id)
            one = one.where(*_spare_condition(wanted, allow_negative, keep_held))
            result = connection.execute(
                one.values(
                    stock_milli=_PRODUCTS.c.stock_milli - wanted,
                    stock_value=_PRODUCTS.c.stock_value - value.get(product_id, 0),
                )
            )
            if result.rowcount == 1:
                changed.add(product_id)
    for product_id, wanted in needed.items():
        if product_id in changed:
            continue
        product = session.get(Product, product_id, populate_existing=True)
        assert product is not None
        spare = product.stock_milli - product.reserved_milli
        values = {
            "name": product.name,
            "wanted": qty_str(wanted, product.unit),
            "unit": product.unit,
            "available": qty_str(spare, product.unit),
            "held": qty_str(product.reserved_milli, product.unit),
        }
        raise InsufficientStock(
            _(
                "Not enough stock of %(name)s: %(wanted)s %(unit)s requested, %(available)s "
                "available (%(held)s %(unit)s held for orders).",
                **values,
            )
            if product.reserved_milli
            else _(
                "Not enough stock of %(name)s: %(wanted)s %(unit)s requested, %(available)s "
                "available.",
                **values,
            ),
            details={
                "product_id": product.id,
                "product": product.name,
                "requested": qty_str(wanted, product.unit),
                "available": qty_str(spare, product.unit),
                "reserved": qty_str(product.reserved_milli, product.unit),
            },
        )
