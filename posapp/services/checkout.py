"""Checkout (docs/DESIGN.md §4): check, price, number, take stock and payment in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import bindparam, case, insert, select, update
from sqlalchemy.orm import (
    Session,
    make_transient_to_detached,
    scoped_session,
)
from sqlalchemy.orm.attributes import set_committed_value

from posapp.errors import InsufficientStock, NotFound, ValidationError
from posapp.models import (
    PAYMENT_METHODS,
    Customer,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
    Product,
    StockMovement,
    User,
)
from posapp.models.base import to_local, utcnow, write_transaction
from posapp.money import parse_money, parse_quantity, qty_str
from posapp.services import audit, cash_sessions, counters, ledger, summaries
from posapp.services.pricing import (
    BillDiscount,
    LineInput,
    PricedCart,
    discounts_above,
    parse_bill_discount,
    price_cart,
)
from posapp.services.settings import ShopSettings, load_settings
from posapp.services.settlement import PaymentRequest, settle

MAX_LINES = 500
DISCOUNT_AUDIT_ACTION = "sale.discount_above_threshold"


@dataclass(frozen=True)
class ItemRequest:
    """A requested cart line before the product is resolved."""

    product_id: int | None
    code: str | None
    raw_quantity: Any
    discount: int


@dataclass(frozen=True)
class CheckoutRequest:
    """A parsed checkout request; payments None means one cash payment of the total."""

    items: list[ItemRequest]
    bill_discount: BillDiscount
    payments: list[PaymentRequest] | None
    customer_id: int | None = None
    note: str = ""


class CartProduct(Protocol):
    """What pricing and checkout read of a product (a row of `products`)."""

    id: int
    code: str
    name: str
    unit: str
    hsn: str
    price: int
    cost: int
    tax_rate_bp: int
    stock_milli: int
    archived: bool


@dataclass
class PricedCartView:
    """A cart with its products resolved and priced (what the till shows)."""

    products: list[CartProduct]
    qty_milli: list[int]
    priced: PricedCart
    settings: ShopSettings
    errors: dict[str, str] = field(default_factory=dict)


def parse_checkout(
    payload: Mapping[str, Any], *, require_payments: bool = False
) -> CheckoutRequest:
    """Validate the shape of a checkout (or preview) request; collect every field error."""
    if not isinstance(payload, Mapping):
        raise ValidationError("The request body must be a JSON object.")
    errors: dict[str, str] = {}
    raw_items = payload.get("items")
    items: list[ItemRequest] = []
    if not isinstance(raw_items, list) or not raw_items:
        errors["items"] = "The cart is empty."
        raw_items = []
    elif len(raw_items) > MAX_LINES:
        errors["items"] = f"A bill takes at most {MAX_LINES} lines."
        raw_items = []
    for i, raw in enumerate(raw_items):
        if not isinstance(raw, Mapping):
            errors[f"items.{i}"] = "Each item must be an object."
            continue
        product_id = raw.get("product_id")
        code = raw.get("code")
        if product_id is not None and (
            isinstance(product_id, bool) or not isinstance(product_id, int)
        ):
            errors[f"items.{i}.product_id"] = "product_id must be an integer."
            continue
        if product_id is None and (not isinstance(code, str) or not code.strip()):
            errors[f"items.{i}"] = "Each item needs a product_id or a code."
            continue
        discount = 0
        if raw.get("discount") not in (None, ""):
            try:
                discount = parse_money(raw.get("discount"), field=f"items.{i}.discount")
            except ValidationError as exc:
                errors[f"items.{i}.discount"] = exc.message
        quantity = raw.get("quantity", 1)
        items.append(
            ItemRequest(
                product_id, code.strip() if isinstance(code, str) else None, quantity, discount
            )
        )
    try:
        bill_discount = parse_bill_discount(payload.get("discount"))
    except ValidationError as exc:
        errors["discount"] = exc.message
        bill_discount = BillDiscount()

    payments: list[PaymentRequest] | None = None
    raw_payments = payload.get("payments")
    if raw_payments is not None:
        payments = []
        if not isinstance(raw_payments, list) or (require_payments and not raw_payments):
            errors["payments"] = "Payments must be a list of {method, amount}."
            raw_payments = []
        for i, raw in enumerate(raw_payments):
            if not isinstance(raw, Mapping):
                errors[f"payments.{i}"] = "Each payment must be an object."
                continue
            method = raw.get("method")
            if method not in PAYMENT_METHODS:
                errors[f"payments.{i}.method"] = (
                    f"Unknown payment method; use one of {', '.join(PAYMENT_METHODS)}."
                )
                continue
            try:
                amount = parse_money(
                    raw.get("amount"), field=f"payments.{i}.amount", allow_zero=False
                )
            except ValidationError as exc:
                errors[f"payments.{i}.amount"] = exc.message
                continue
            payments.append(PaymentRequest(method, amount))

    customer_id = payload.get("customer_id")
    if customer_id is not None and (
        isinstance(customer_id, bool) or not isinstance(customer_id, int)
    ):
        errors["customer_id"] = "customer_id must be an integer."
        customer_id = None
    note = payload.get("note") or ""
    if not isinstance(note, str) or len(note) > 500:
        errors["note"] = "The note must be text of at most 500 characters."
        note = ""
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    return CheckoutRequest(items, bill_discount, payments, customer_id, note.strip())


_PRODUCTS = Product.__table__
# Built once: every price preview and sale reads its products. Core rows, not ORM objects
# (a sale only reads them; the ORM's identity bookkeeping was a large share of its time).
_PRODUCTS_BY_ID = select(_PRODUCTS).where(_PRODUCTS.c.id.in_(bindparam("ids", expanding=True)))
_PRODUCT_BY_CODE = select(_PRODUCTS).where(_PRODUCTS.c.code == bindparam("code"))


def resolve_cart(session: Session, request: CheckoutRequest) -> PricedCartView:
    """Resolve products, check quantities for their units and price the cart (no writes)."""
    settings = load_settings(session)
    connection = session.connection()
    errors: dict[str, str] = {}
    products: list[CartProduct] = []
    quantities: list[int] = []
    lines: list[LineInput] = []
    wanted = {item.product_id for item in request.items if item.product_id is not None}
    # One query for the whole cart instead of one per line.
    by_id: dict[int, CartProduct] = (
        {row.id: row for row in connection.execute(_PRODUCTS_BY_ID, {"ids": list(wanted)})}
        if wanted
        else {}
    )
    for i, item in enumerate(request.items):
        product: CartProduct | None
        if item.product_id is not None:
            product = by_id.get(item.product_id)
        else:
            product = connection.execute(_PRODUCT_BY_CODE, {"code": item.code}).first()
        if product is None:
            errors[f"items.{i}"] = f"Unknown product {item.product_id or item.code}."
            continue
        if product.archived:
            errors[f"items.{i}"] = f"{product.name} is archived and cannot be sold."
            continue
        try:
            qty = parse_quantity(item.raw_quantity, unit=product.unit, field=f"items.{i}.quantity")
        except ValidationError as exc:
            errors[f"items.{i}.quantity"] = f"{product.name}: {exc.message}"
            continue
        products.append(product)
        quantities.append(qty)
        lines.append(LineInput(product.price, qty, product.tax_rate_bp, item.discount))
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    priced = price_cart(
        lines,
        request.bill_discount,
        prices_include_tax=settings.prices_include_tax,
        round_off=settings.round_off,
    )
    return PricedCartView(products, quantities, priced, settings)


def preview(session: Session, payload: Mapping[str, Any]) -> PricedCartView:
    """Price a cart exactly as checkout would, writing nothing."""
    return resolve_cart(session, parse_checkout(payload))


def _bill_customer(session: Session, customer_id: int | None) -> Customer | None:
    """Load (and lock) the customer a bill is for; unknown or archived is a field error."""
    if customer_id is None:
        return None
    try:
        customer = ledger.lock_customer(session, customer_id)
    except NotFound:
        raise ValidationError("No such customer.", field="customer_id") from None
    if customer.archived:
        raise ValidationError(
            f"{customer.name} is archived; restore the customer first.", field="customer_id"
        )
    return customer


def checkout(session: Session, payload: Mapping[str, Any], user: User) -> Invoice:
    """Turn a cart into a paid invoice in one transaction; nothing is written on any error."""
    request = parse_checkout(payload)
    # Read before the transaction: starting it expires loaded objects, and reading them
    # inside would cost one more query per sale.
    user_id = user.id
    username = user.username
    real = session() if isinstance(session, scoped_session) else session
    expire_on_commit = real.expire_on_commit
    # The answer is built from the objects of the sale and the caller: kept loaded through the
    # commit (everything else is expired below), so no query reads the sale back.
    real.expire_on_commit = False
    try:
        invoice, kept = _checkout(real, request, user, user_id, username)
    finally:
        real.expire_on_commit = expire_on_commit
    for obj in list(real.identity_map.values()):
        if not any(obj is k for k in kept):
            real.expire(obj)
    # The transaction's start expired the caller; the answer names the cashier, so the name
    # read above goes back in (the rest stays expired) instead of a query reloading the user.
    set_committed_value(user, "username", username)
    return invoice


_INVOICES = Invoice.__table__
_LINES = InvoiceLine.__table__
_MOVEMENTS = StockMovement.__table__
_PAYMENTS = Payment.__table__
# A sale's rows go in with Core statements built once, on the session's connection: the ORM
# unit of work's per-object bookkeeping was most of a checkout's time. Lines and payments come
# back with their ids (one multi-row INSERT … RETURNING, in the order given).
_INSERT_LINES = insert(_LINES).returning(_LINES.c.id, sort_by_parameter_order=True)
_INSERT_PAYMENTS = insert(_PAYMENTS).returning(_PAYMENTS.c.id, sort_by_parameter_order=True)


def _loaded(session: Session, obj: Any) -> Any:
    """Make an object built from the values just written persistent and clean, as if loaded.

    It joins the identity map without a query; a change made to it later in the transaction
    (a credit sale settled from an advance) is flushed as an UPDATE like any loaded object's.
    """
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def _checkout(
    session: Session, request: CheckoutRequest, user: User, user_id: int, username: str
) -> tuple[Invoice, list[Any]]:
    """The write transaction of `checkout`; return the invoice and the objects of the sale."""
    with write_transaction(session):
        connection = session.connection()
        view = resolve_cart(session, request)
        priced = view.priced
        customer = _bill_customer(session, request.customer_id)
        settlement = settle(priced.total, request.payments, customer is not None)
        balance_before = 0
        if customer is not None and settlement.credit:
            balance_before = ledger.check_credit(session, customer, settlement.credit)
        paid = sum(p.amount for p in settlement.applied)
        drawer = cash_sessions.session_for_cash(
            session, user_id, settlement.tendered > 0, view.settings
        )
        settings = view.settings
        now = utcnow()
        fy = counters.financial_year(to_local(now), settings.fy_start_month)
        seq = counters.next_number(session, "invoice", fy)
        values: dict[str, Any] = {
            "number": f"{settings.invoice_prefix}{fy}-{seq:06d}",
            "fy": fy,
            "seq": seq,
            "created_at": now,
            "cashier_id": user_id,
            "customer_id": customer.id if customer else None,
            "prices_include_tax": settings.prices_include_tax,
            "subtotal": priced.subtotal,
            "discount_total": priced.discount_total,
            "bill_discount": priced.bill_discount,
            "tax_total": priced.tax_total,
            "round_off": priced.round_off,
            "total": priced.total,
            "paid": paid,
            "tendered": settlement.tendered,
            "change": settlement.change,
            "status": ledger.invoice_status(priced.total, paid),
            "note": request.note,
            "returned_total": 0,
            "voided_at": None,
            "voided_by_id": None,
            "void_reason": "",
            "cash_session_id": drawer,
        }
        invoice_id = connection.execute(insert(_INVOICES), values).inserted_primary_key[0]
        number = values["number"]

        needed: dict[int, int] = {}
        for product, qty in zip(view.products, view.qty_milli, strict=True):
            needed[product.id] = needed.get(product.id, 0) + qty
        _deduct_stock(session, needed, settings.allow_negative_stock)

        line_rows = [
            {
                "invoice_id": invoice_id,
                "position": position,
                "product_id": product.id,
                "code": product.code,
                "name": product.name,
                "unit": product.unit,
                "hsn": product.hsn,
                "unit_price": product.price,
                "qty_milli": qty,
                "gross": line.gross,
                "line_discount": line.line_discount,
                "bill_discount_share": line.bill_discount_share,
                "tax_rate_bp": line.tax_rate_bp,
                "taxable": line.taxable,
                "tax": line.tax,
                "total": line.total,
                "unit_cost": product.cost,
            }
            for position, (product, qty, line) in enumerate(
                zip(view.products, view.qty_milli, priced.lines, strict=True), start=1
            )
        ]
        line_ids = connection.execute(_INSERT_LINES, line_rows).scalars().all()
        connection.execute(
            insert(_MOVEMENTS),
            [
                {
                    "product_id": product_id,
                    "delta_milli": -qty,
                    "reason": "sale",
                    "ref": number,
                    "user_id": user_id,
                    "created_at": now,
                }
                for product_id, qty in needed.items()
            ],
        )
        payment_rows = [
            {
                "invoice_id": invoice_id,
                "customer_id": None,
                "method": p.method,
                "amount": p.amount,
                "note": "",
                "created_at": now,
                "user_id": user_id,
                "credit_note_id": None,  # every column: the object built from it is complete
                "cash_session_id": drawer,
            }
            for p in settlement.applied
        ]
        payment_ids = (
            connection.execute(_INSERT_PAYMENTS, payment_rows).scalars().all()
            if payment_rows
            else []
        )

        invoice = _loaded(session, Invoice(id=invoice_id, **values))
        lines = [
            _loaded(session, InvoiceLine(id=line_id, **row))
            for line_id, row in zip(line_ids, line_rows, strict=True)
        ]
        payments = [
            _loaded(session, Payment(id=payment_id, **row))
            for payment_id, row in zip(payment_ids, payment_rows, strict=True)
        ]
        set_committed_value(invoice, "lines", lines)
        set_committed_value(invoice, "payments", payments)
        set_committed_value(invoice, "credit_notes", [])  # a bill just made has none
        set_committed_value(invoice, "customer", customer)
        set_committed_value(invoice, "cashier", user)
        set_committed_value(invoice, "voided_by", None)
        allocations: list[PaymentAllocation] = []
        if customer is not None and settlement.credit:
            # Settled from any advance the customer has: the ORM flushes what this changes on
            # the invoice (paid, status) with the ledger entry and allocations at commit.
            allocations = ledger.record_credit_sale(
                session, customer, invoice, settlement.credit, user_id, balance_before
            )
        set_committed_value(invoice, "allocations", allocations)
        # The day's figures from what was just written, without reading the rows back.
        summaries.adjust(
            session,
            summaries.local_day(now),
            summaries.figures_of(
                invoice,
                ((r["taxable"], r["qty_milli"], r["unit_cost"]) for r in line_rows),
                ((p.method, p.amount) for p in settlement.applied),
            ),
        )
        audit.record(
            session,
            "sale",
            user_id=user_id,
            entity="invoice",
            entity_id=invoice_id,
            after={
                "number": number,
                "total": priced.total,
                "discount": priced.discount_total,
                "customer_id": values["customer_id"],
                "credit": settlement.credit,
            },
        )
        if priced.discount_total:  # the common undiscounted sale pays nothing more
            big = discounts_above(priced, settings.discount_audit_percent)
            if big is not None:
                audit.record(
                    session,
                    DISCOUNT_AUDIT_ACTION,
                    user_id=user_id,
                    entity="invoice",
                    entity_id=invoice_id,
                    after={"number": number, "cashier": username, **big},
                )
    kept: list[Any] = [invoice, *lines, *payments, *allocations]
    if customer is not None:
        kept.append(customer)
    return invoice, kept


@lru_cache(maxsize=MAX_LINES)
def _take_stock(products: int, allow_negative: bool) -> Any:
    """The stock UPDATE for a bill of `products` distinct products, built once per size.

    Parameters id_0…, q_0…: each product's id and the quantity it loses. Products with too
    little stock (unless negative stock is allowed) are not updated and not returned.
    """
    # Typed, so PostgreSQL compares a BIGINT with a BIGINT (an untyped CASE result is text).
    ids = [bindparam(f"id_{i}", type_=_PRODUCTS.c.id.type) for i in range(products)]
    quantities = [bindparam(f"q_{i}", type_=_PRODUCTS.c.stock_milli.type) for i in range(products)]
    qty = case(*((_PRODUCTS.c.id == ids[i], quantities[i]) for i in range(products)))
    stmt = update(_PRODUCTS).where(_PRODUCTS.c.id.in_(ids))
    if not allow_negative:
        stmt = stmt.where(_PRODUCTS.c.stock_milli >= qty)
    return stmt.values(stock_milli=_PRODUCTS.c.stock_milli - qty).returning(_PRODUCTS.c.id)


def _deduct_stock(session: Session, needed: dict[int, int], allow_negative: bool) -> None:
    """Take stock with one conditional update so two tills can never sell the same last unit.

    Every product of the bill in one statement (not one per product). A product with too
    little stock is not among the rows it returns; it is named, and the caller's transaction
    rolls back, so nothing is written.
    """
    connection = session.connection()
    if connection.dialect.update_returning:
        params: dict[str, int] = {}
        for i, (product_id, wanted) in enumerate(needed.items()):
            params[f"id_{i}"] = product_id
            params[f"q_{i}"] = wanted
        stmt = _take_stock(len(needed), allow_negative)
        changed = set(connection.execute(stmt, params).scalars())
    else:  # MariaDB/MySQL have no UPDATE … RETURNING: one conditional update per product
        changed = set()
        for product_id, wanted in needed.items():
            one = update(_PRODUCTS).where(_PRODUCTS.c.id == product_id)
            if not allow_negative:
                one = one.where(_PRODUCTS.c.stock_milli >= wanted)
            result = connection.execute(one.values(stock_milli=_PRODUCTS.c.stock_milli - wanted))
            if result.rowcount == 1:
                changed.add(product_id)
    for product_id, wanted in needed.items():
        if product_id in changed:
            continue
        product = session.get(Product, product_id, populate_existing=True)
        assert product is not None
        raise InsufficientStock(
            f"Not enough stock of {product.name}: {qty_str(wanted, product.unit)} {product.unit} "
            f"requested, {qty_str(product.stock_milli, product.unit)} available.",
            details={
                "product_id": product.id,
                "product": product.name,
                "requested": qty_str(wanted, product.unit),
                "available": qty_str(product.stock_milli, product.unit),
            },
        )
