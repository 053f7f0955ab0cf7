"""Pydantic models of the endpoints new in API v1: who am I, stock status and history,
payments, and orders (the OpenAPI document is generated from them).

Kept beside api/schemas.py rather than in it, as the suppliers' and the books' are; the
services stay the validators (these models describe what they accept and answer).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from posapp.api.schemas import (
    Approval,
    CheckoutPayment,
    ListQuery,
    Page,
    PaymentMethod,
    UserRef,
)
from posapp.apidoc import Day, Money, MoneyIn, Quantity, QuantityIn, Request, Response, Timestamp
from posapp.converters import MAX_ID
from posapp.models import FULFILMENTS, ORDER_SOURCES, ORDER_STATUSES, PAYMENT_PLANS, ROLES
from posapp.services import limits
from posapp.services.limits import MAX_SEARCH_LENGTH as MAX_Q_LENGTH
from posapp.services.stock_views import PAYMENT_STATES, STOCK_STATES

OrderStatus = Literal[ORDER_STATUSES]  # type: ignore[valid-type]
Fulfilment = Literal[FULFILMENTS]  # type: ignore[valid-type]
PaymentPlan = Literal[PAYMENT_PLANS]  # type: ignore[valid-type]

# ---------------------------------------------------------------- auth


class Shop(Response):
    name: str
    gstin: str | None = Field(description="null: not registered for GST.")
    currency: str = Field(examples=["INR"])


class Me(Response):
    user: UserRef
    role: Literal[ROLES]  # type: ignore[valid-type]
    shop: Shop
    token_expires_at: Timestamp | None = Field(
        description="When the calling token ends unless used (each use moves it on); null for"
        " a token that never expires or the web UI's cookie."
    )


# ---------------------------------------------------------------- inventory


class StockState(Response):
    product_id: int
    code: str
    name: str
    category: str | None
    unit: str
    on_hand: Quantity
    reserved: Quantity = Field(description="Held for confirmed orders.")
    available: Quantity = Field(description="On hand less reserved: what the till may sell.")
    low_stock_threshold: Quantity
    low: bool = Field(description="Available at or below the threshold (and not out).")
    out: bool = Field(description="Nothing available.")
    state: Literal[STOCK_STATES]  # type: ignore[valid-type]


class StockStatePage(Page):
    items: list[StockState]


class StockStatusQuery(ListQuery):
    q: str | None = Field(
        default=None, max_length=MAX_Q_LENGTH, description="Code, or a word of the name."
    )
    category: str | None = Field(default=None, description="Category name.")
    state: Literal[STOCK_STATES] | None = Field(  # type: ignore[valid-type]
        default=None, description="low, out or ok (by available stock)."
    )


class Movement(Response):
    id: int
    product_id: int
    product: str
    unit: str
    delta: Quantity = Field(description="Signed change of stock.")
    reason: str = Field(examples=["sale", "purchase", "adjust_count"])
    ref: str | None = Field(description="The invoice, bill or count it came from.")
    note: str | None
    unit_cost: Money | None
    user: str | None
    created_at: Timestamp


class MovementPage(Page):
    items: list[Movement]


class StockHistoryQuery(ListQuery):
    product_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    from_: Day | None = Field(default=None, alias="from", description="First day, inclusive.")
    to: Day | None = Field(default=None, description="Last day, inclusive.")


class InventoryAdjustRequest(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"product_id": 3, "delta": "-2", "reason": "adjust_damage", "note": "Torn packs"}
            ]
        }
    )

    product_id: int = Field(ge=1, le=MAX_ID)
    delta: QuantityIn = Field(description="Signed change of stock.")
    reason: Literal["opening", "purchase", "adjust_damage", "adjust_loss", "adjust_count"]
    note: str | None = Field(default=None, max_length=limits.STOCK_NOTE_LENGTH)
    unit_cost: MoneyIn | None = Field(
        default=None, description="Only with a purchase or opening stock."
    )


# ---------------------------------------------------------------- payments


class PaymentRow(Response):
    id: int
    invoice_id: int | None = Field(description="null: a payment on account.")
    invoice_number: str | None
    customer_id: int | None
    method: PaymentMethod
    amount: Money
    reference: str | None
    note: str | None
    user_id: int | None
    created_at: Timestamp


class PaymentPage(Page):
    items: list[PaymentRow]


class PaymentQuery(ListQuery):
    invoice_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    customer_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    from_: Day | None = Field(default=None, alias="from", description="First day, inclusive.")
    to: Day | None = Field(default=None, description="Last day, inclusive.")


class PaymentStatus(Response):
    invoice_id: int
    number: str
    total: Money
    paid: Money
    balance_due: Money
    returned_total: Money
    payment_status: Literal[PAYMENT_STATES] = Field(  # type: ignore[valid-type]
        description="refunded: voided or wholly returned."
    )
    payments: list[PaymentRow] = Field(description="The tenders taken with the sale.")


# ---------------------------------------------------------------- orders


class OrderCustomer(Response):
    id: int
    name: str
    phone: str


class OrderLine(Response):
    id: int
    product_id: int
    name: str
    unit: str
    quantity: Quantity
    discount: Money
    reserved: Quantity = Field(description="Stock this line holds now (from confirming).")


class OrderEvent(Response):
    from_status: OrderStatus | None = Field(description="null: the order was taken.")
    to_status: OrderStatus
    user_id: int | None
    user: str | None
    note: str | None
    created_at: Timestamp


class OrderSummary(Response):
    id: int
    number: str = Field(examples=["ORD-123"])
    status: OrderStatus
    customer: OrderCustomer
    fulfilment: Fulfilment
    address: str | None
    slot_date: Day | None
    slot: str | None
    delivery_charge: Money
    note: str | None
    payment_plan: PaymentPlan
    source: Literal[ORDER_SOURCES]  # type: ignore[valid-type]
    estimate: Money = Field(description="Today's prices of the lines and the delivery charge.")
    to_pay: Money = Field(description="What the customer pays on arrival, at the estimate.")
    allowed_next: list[OrderStatus] = Field(description="The states it may move to now.")
    invoice_id: int | None
    invoice_number: str | None
    cancel_reason: str | None
    created_at: Timestamp
    delivered_at: Timestamp | None
    cancelled_at: Timestamp | None
    lines: list[OrderLine]


class Order(OrderSummary):
    events: list[OrderEvent] = Field(description="Its history, oldest first.")


class OrderPage(Page):
    items: list[OrderSummary]


class OrderQuery(ListQuery):
    status: str | None = Field(
        default=None,
        max_length=200,
        description="One status or several, comma separated (e.g. `confirmed,packed`).",
    )
    q: str | None = Field(
        default=None,
        max_length=MAX_Q_LENGTH,
        description="Order number, customer name or phone digits, or address.",
    )
    customer_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    from_: Day | None = Field(default=None, alias="from", description="First day, inclusive.")
    to: Day | None = Field(default=None, description="Last day, inclusive.")


class OrderItem(BaseModel):
    model_config = ConfigDict(extra="allow")

    product_id: int = Field(ge=1, le=MAX_ID)
    quantity: QuantityIn


class NewOrderCustomer(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str = Field(max_length=120)
    phone: str = Field(max_length=20, examples=["98765 43210"])


class OrderCreate(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer": {"name": "Meena Rao", "phone": "98450 12345"},
                    "items": [{"product_id": 3, "quantity": "2"}],
                    "fulfilment": "delivery",
                    "address": "14 Temple Street, Jayanagar",
                    "slot_date": "2026-12-07",
                    "slot": "5-7 pm",
                    "delivery_charge": "30.00",
                    "note": "Ring twice",
                    "payment_plan": "on_delivery",
                }
            ]
        }
    )

    customer_id: int | None = Field(default=None, description="Or `customer` for a new one.")
    customer: NewOrderCustomer | None = Field(
        default=None, description="A customer by phone, created if the phone is new."
    )
    items: list[OrderItem] = Field(min_length=1, max_length=limits.MAX_CART_LINES)
    fulfilment: Fulfilment = "pickup"
    address: str | None = Field(default=None, description="Required for delivery.")
    slot_date: Day | None = None
    slot: str | None = Field(default=None, examples=["5-7 pm"])
    delivery_charge: MoneyIn | None = None
    note: str | None = None
    payment_plan: PaymentPlan = "on_delivery"


class AdvancePayment(BaseModel):
    model_config = ConfigDict(extra="allow")

    amount: MoneyIn
    method: Literal["cash", "card", "upi"]
    reference: str | None = Field(default=None, description="UPI or card reference.")


class OrderStatusRequest(Request):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "confirmed", "note": "Called back"}]}
    )

    status: OrderStatus
    note: str | None = Field(default=None, max_length=200)
    payment: AdvancePayment | None = Field(
        default=None, description="Confirming a prepaid order: its advance."
    )
    payments: list[CheckoutPayment] | None = Field(
        default=None,
        description="Delivering: the tenders taken at the door (as checkout takes them).",
    )
    approval: Approval | None = Field(default=None, description="Delivering: as checkout.")


class OrderCancelRequest(Request):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "Customer called to cancel"}]}
    )

    reason: str = Field(min_length=1, max_length=200)
