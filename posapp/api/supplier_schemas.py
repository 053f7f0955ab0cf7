"""Pydantic models of the supplier endpoints (the OpenAPI document is generated from them).

Kept beside api/schemas.py rather than in it: the suppliers' khata is its own resource, and the
services stay the validators (these models describe what they accept and answer).
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from posapp.api.schemas import Page
from posapp.apidoc import Day, Money, MoneyIn, Request, Response, Timestamp
from posapp.converters import MAX_ID
from posapp.services.suppliers import NOTE_LENGTH, REFERENCE_LENGTH

SupplierMethod = Literal["cash", "bank", "upi"]


class Supplier(Response):
    id: int
    name: str
    phone: str | None = Field(description="E.164; null: none.", examples=["+919876543210"])
    gstin: str | None = Field(examples=["27AAPFU0939F1ZV"])
    state_code: str | None = Field(description="Two-digit GST state code; with a GSTIN, its.")
    address: str | None
    credit_days: int = Field(ge=0, le=365, description="A bill is due this many days after it.")
    opening_balance: Money = Field(description="What the shop owed on opening_date.")
    opening_date: Day | None
    archived: bool
    created_at: Timestamp
    balance: Money = Field(description="What the shop owes the supplier (negative: advance).")
    overdue: Money = Field(description="The part of it past its due date.")


class SupplierAging(Response):
    not_due: Money
    d0_30: Money = Field(alias="0_30")
    d31_60: Money = Field(alias="31_60")
    d61_90: Money = Field(alias="61_90")
    d90_plus: Money = Field(alias="90_plus")


class OpenBill(Response):
    purchase_id: int | None = Field(description="null: the opening balance.")
    number: str = Field(examples=["PUR-000012"])
    reference: str | None = Field(description="The supplier's own bill number.")
    bill_date: Day
    due_date: Day
    amount: Money
    open: Money


class SupplierDetail(Supplier):
    advance: Money = Field(description="Paid to the supplier and not yet used by a bill.")
    aging: SupplierAging = Field(description="What is open, by days past due.")
    open_bills: list[OpenBill]


class SupplierCreate(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "Metro Wholesale", "phone": "98765 43210", "credit_days": 15,
                 "opening_balance": "12500.00", "opening_date": "2026-11-01"}
            ]
        }
    )  # fmt: skip

    name: str = Field(min_length=1, max_length=120)
    phone: str | None = Field(default=None, description="Optional; checked like customers'.")
    gstin: str | None = Field(default=None, description="15 characters, checked.")
    state_code: str | None = Field(default=None, description="With a GSTIN: its state or empty.")
    address: str | None = Field(default=None, max_length=300)
    credit_days: int | str | None = Field(default=None, description="0 to 365 (default 0).")
    opening_balance: MoneyIn | None = Field(default=None, description="Not negative.")
    opening_date: Day | None = Field(default=None, description="Default: today.")


class SupplierUpdate(SupplierCreate):
    """Only the fields sent change."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"credit_days": 30}]})

    name: str | None = Field(default=None, max_length=120)  # type: ignore[assignment]
    archived: bool | None = None


class SupplierLedgerLine(Response):
    date: Day
    kind: Literal["opening", "bill", "paid_now", "payment", "debit_note"]
    description: str
    amount: Money = Field(description="Signed: positive raises what the shop owes.")
    balance: Money = Field(description="Running balance after this line.")
    purchase_id: int | None
    payment_id: int | None
    method: SupplierMethod | None
    reference: str | None


class SupplierLedgerPage(Page):
    items: list[SupplierLedgerLine]


class SupplierPage(Page):
    items: list[Supplier]


class AllocationIn(Request):
    purchase_id: int = Field(ge=1, le=MAX_ID)
    amount: MoneyIn


class SupplierPaymentRequest(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"amount": "5000.00", "method": "bank", "reference": "UTR 4471"}]
        }
    )

    amount: MoneyIn
    method: SupplierMethod
    reference: str | None = Field(default=None, max_length=REFERENCE_LENGTH)
    note: str | None = Field(default=None, max_length=NOTE_LENGTH)
    paid_on: Day | None = Field(default=None, description="Default: today; never later.")
    allocations: list[AllocationIn] | None = Field(
        default=None, description="Bills to settle first; the rest goes to the oldest."
    )


class SupplierAllocationOut(Response):
    purchase_id: int | None = Field(description="null: the opening balance.")
    description: str
    amount: Money


class SupplierPaymentResult(Response):
    id: int
    supplier_id: int
    amount: Money
    method: SupplierMethod
    reference: str | None
    note: str | None
    paid_on: Day
    created_at: Timestamp
    allocations: list[SupplierAllocationOut]
    advance: Money = Field(description="Left over after every open bill: an advance.")
    balance: Money
