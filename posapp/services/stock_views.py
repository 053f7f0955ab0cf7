"""Read-only lists the v1 API answers: stock status (on hand, reserved, available), stock
movement history, payments, and an invoice's payment status.

Available stock is on hand less what confirmed orders hold reserved; a product is "out" when
nothing is available and "low" when what is available is at or below its low-stock level.
Service products (a delivery charge) have no stock and are left out of the stock lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from posapp.errors import ValidationError
from posapp.i18n import _
from posapp.models import Category, Invoice, Payment, Product, StockMovement, User
from posapp.models.base import local_days
from posapp.services import orders

STOCK_STATES = ("low", "out", "ok")
PAYMENT_STATES = ("paid", "partial", "unpaid", "refunded")


@dataclass(frozen=True)
class StockStatus:
    """One product's stock as the till and an order see it."""

    product: Product
    category: str | None

    @property
    def available_milli(self) -> int:
        return orders.available_milli(self.product)

    @property
    def state(self) -> str:
        if self.available_milli <= 0:
            return "out"
        return "low" if self.available_milli <= self.product.low_stock_milli else "ok"


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _clean(q: str) -> str:
    # Control characters (a NUL from a hostile request) match nothing; PostgreSQL refuses them.
    return "".join(ch if ch.isprintable() else " " for ch in q).strip()


def _count(session: Session, stmt: Select[*tuple[Any, ...]]) -> int:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return int(total or 0)


def stock_status(
    session: Session,
    *,
    q: str = "",
    category: str | None = None,
    state: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[StockStatus], int]:
    """A page of stocked (not archived, not service) products by name with their stock state;
    q matches a code exactly or by prefix, or a word of the name by prefix."""
    if state is not None and state not in STOCK_STATES:
        raise ValidationError(
            _("state is one of %(choices)s.", choices=", ".join(STOCK_STATES)), field="state"
        )
    available = Product.stock_milli - Product.reserved_milli
    stmt = (
        select(Product, Category.name)
        .outerjoin(Category, Category.id == Product.category_id)
        .where(Product.archived.is_(False), Product.is_service.is_(False))
    )
    if category:
        stmt = stmt.where(func.lower(Category.name) == func.lower(category))
    if state == "out":
        stmt = stmt.where(available <= 0)
    elif state == "low":
        stmt = stmt.where(available > 0, available <= Product.low_stock_milli)
    elif state == "ok":
        stmt = stmt.where(available > 0, available > Product.low_stock_milli)
    text = _clean(q)
    if text:
        prefix = _escaped(text.lower()) + "%"
        stmt = stmt.where(
            or_(
                Product.code == text,
                Product.code.like(_escaped(text) + "%", escape="\\"),
                func.lower(Product.name).like(prefix, escape="\\"),
                func.lower(Product.name).like("% " + prefix, escape="\\"),
            )
        )
    total = _count(session, stmt)
    rows = session.execute(
        stmt.order_by(Product.name, Product.id).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return [StockStatus(product, name) for product, name in rows], total


@dataclass(frozen=True)
class MovementRow:
    """A stock movement with the names a list shows."""

    movement: StockMovement
    product: Product
    username: str | None


def stock_history(
    session: Session,
    *,
    product_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[MovementRow], int]:
    """A page of stock movements, newest first, of one product or all, between local days."""
    stmt = (
        select(StockMovement, Product, User.username)
        .join(Product, Product.id == StockMovement.product_id)
        .outerjoin(User, User.id == StockMovement.user_id)
    )
    if product_id is not None:
        stmt = stmt.where(StockMovement.product_id == product_id)
    conditions = local_days(StockMovement.created_at, date_from, date_to)
    if conditions:
        stmt = stmt.where(and_(*conditions))
    total = _count(session, stmt)
    rows = session.execute(
        stmt.order_by(StockMovement.created_at.desc(), StockMovement.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return [MovementRow(m, p, name) for m, p, name in rows], total


@dataclass(frozen=True)
class PaymentRow:
    """A payment with the invoice number it belongs to (None: on account)."""

    payment: Payment
    invoice_number: str | None


def list_payments(
    session: Session,
    user: User,
    *,
    invoice_id: int | None = None,
    customer_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[PaymentRow], int]:
    """A page of payments (sale tenders and payments on account), newest first. A cashier
    sees the payments they took, as they see only their own invoices."""
    stmt = select(Payment, Invoice.number).outerjoin(Invoice, Invoice.id == Payment.invoice_id)
    if user.role != "admin":
        stmt = stmt.where(Payment.user_id == user.id)
    if invoice_id is not None:
        stmt = stmt.where(Payment.invoice_id == invoice_id)
    if customer_id is not None:
        stmt = stmt.where(
            or_(Payment.customer_id == customer_id, Invoice.customer_id == customer_id)
        )
    conditions = local_days(Payment.created_at, date_from, date_to)
    if conditions:
        stmt = stmt.where(and_(*conditions))
    total = _count(session, stmt)
    rows = session.execute(
        stmt.order_by(Payment.created_at.desc(), Payment.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return [PaymentRow(payment, number) for payment, number in rows], total


def payment_state(invoice: Invoice) -> str:
    """paid / partial / unpaid, or refunded for a voided or wholly returned invoice."""
    if invoice.status in ("void", "returned"):
        return "refunded"
    return invoice.status if invoice.status in PAYMENT_STATES else "unpaid"
