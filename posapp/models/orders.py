"""Orders taken for pickup or home delivery, their lines and their history of states; and the
idempotency keys the API remembers so a retried POST never writes twice.

An order is not an invoice: nothing is sold, taxed or owed until it is delivered, when the
checkout service turns it into one. Confirming it reserves its stock: each line keeps what it
reserves (`reserved_milli`), and `products.reserved_milli` is the sum over open orders, kept in
the same transaction as the lines (`app.py check` proves the two agree).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from posapp.extensions import Model
from posapp.models.base import utcnow
from posapp.models.catalog import Product
from posapp.models.customers import Customer

if TYPE_CHECKING:
    from posapp.models.sales import Invoice, Payment

ORDER_STATUSES = (
    "pending",
    "confirmed",
    "packed",
    "ready_for_pickup",
    "out_for_delivery",
    "delivered",
    "cancelled",
)
FULFILMENTS = ("pickup", "delivery")
# How the customer means to pay: cash or UPI when the goods arrive, on their khata, or in
# advance (recorded as an advance on their account when the order is confirmed).
PAYMENT_PLANS = ("on_delivery", "khata", "prepaid")
ORDER_SOURCES = ("till", "orders", "api")


class Order(Model):
    """A customer's order: who, what, how it reaches them, and where it stands."""

    __tablename__ = "orders"
    # The open-orders board reads open orders by state, oldest first.
    __table_args__ = (Index("ix_orders_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    fulfilment: Mapped[str] = mapped_column(String(12), default="pickup")
    address: Mapped[str] = mapped_column(String(300), default="")
    slot_date: Mapped[date | None] = mapped_column(default=None)
    slot: Mapped[str] = mapped_column(String(40), default="")  # a time window, as said
    delivery_charge: Mapped[int] = mapped_column(BigInteger, default=0)
    note: Mapped[str] = mapped_column(String(300), default="")
    payment_plan: Mapped[str] = mapped_column(String(12), default="on_delivery")
    source: Mapped[str] = mapped_column(String(12), default="orders")
    # What the order comes to at today's prices (the invoice prices it again on delivery).
    estimate: Mapped[int] = mapped_column(BigInteger, default=0)
    # A prepaid order's money, taken when it was confirmed: an advance on the customer's account.
    advance_payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), default=None)
    invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoices.id"), default=None, unique=True
    )
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)

    customer: Mapped[Customer] = relationship()
    invoice: Mapped[Invoice | None] = relationship()
    advance_payment: Mapped[Payment | None] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.position", cascade="all, delete-orphan"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan"
    )


class OrderLine(Model):
    """One product and quantity of an order, and the stock it holds reserved now."""

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    position: Mapped[int] = mapped_column()
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))  # as ordered, for the board and slips
    qty_milli: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(BigInteger, default=0)  # a line discount, minor units
    reserved_milli: Mapped[int] = mapped_column(BigInteger, default=0)

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()


class OrderEvent(Model):
    """A change of an order's state: from what, to what, who, when, and why (a cancellation)."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    from_status: Mapped[str] = mapped_column(String(20), default="")
    to_status: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")


class IdempotencyKey(Model):
    """A POST the API has answered, by the caller's `Idempotency-Key`: a retry with the same
    key gets this answer again and writes nothing. Written in the same transaction as the
    records the request created, so the answer exists exactly when they do."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(200))
    endpoint: Mapped[str] = mapped_column(String(80))  # "POST /api/v1/orders"
    request_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the canonical body
    status_code: Mapped[int] = mapped_column()
    response: Mapped[str] = mapped_column(Text)  # the JSON answer as sent
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
