"""Pydantic models of every API body: the OpenAPI document is generated from them.

Response models forbid extra fields and pin the string formats of docs/API.md (money with
exactly 2 decimals, quantities, ISO times with an offset), so the test suite can check each
response against its model (see `check_response` in posapp/apidoc.py) and a serializer
that drifts from the documented shape fails a test. Request models describe what the services
accept; the services stay the validators so the contract's error messages never change.
"""

from __future__ import annotations

from dataclasses import fields as dataclass_fields
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from posapp.apidoc import (
    Day,
    Money,
    MoneyIn,
    Percent,
    Quantity,
    QuantityIn,
    Request,
    Response,
    Timestamp,
)
from posapp.converters import MAX_ID
from posapp.models import PAYMENT_METHODS, REFUND_METHODS, ROLES
from posapp.money import UNITS
from posapp.services import limits
from posapp.services.limits import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE
from posapp.services.limits import MAX_SEARCH_LENGTH as MAX_Q_LENGTH
from posapp.services.settings import ShopSettings
from posapp.services.shop_settings import TEXT_LIMITS

PRODUCT = limits.PRODUCT_TEXT_LENGTHS
CUSTOMER = limits.CUSTOMER_TEXT_LENGTHS
SHOP_TEXT = TEXT_LIMITS

PaymentMethod = Literal[PAYMENT_METHODS]  # type: ignore[valid-type]
AccountMethod = Literal["cash", "card", "upi"]
InvoiceStatus = Literal["paid", "partial", "unpaid", "void", "returned"]
Unit = Literal[UNITS]  # type: ignore[valid-type]
TaxSplit = Literal["cgst_sgst", "igst", "none"]
StateCode = Annotated[str, Field(pattern=r"^[0-9]{2}$", examples=["27"])]


# ---------------------------------------------------------------- errors, health, login


class Health(Response):
    status: Literal["ok", "degraded"]
    version: str
    db: Literal["ok", "error"]


class LoginRequest(Request):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"username": "owner", "password": "correct horse battery"}]}
    )

    username: str = Field(examples=["owner"])
    password: str = Field(examples=["correct horse battery"])
    code: str | None = Field(
        default=None,
        description="With two-step login on: the 6-digit code from the authenticator app,"
        " or a recovery code.",
        examples=["123456"],
    )


class UserRef(Response):
    id: int
    username: str
    role: Literal[ROLES]  # type: ignore[valid-type]


class LoginResponse(Response):
    token: str = Field(description="Send as `Authorization: Bearer <token>`.")
    user: UserRef


# ---------------------------------------------------------------- products


class Product(Response):
    id: int
    code: str
    name: str
    category: str | None
    unit: Unit
    price: Money
    cost: Money
    mrp: Money | None
    tax_rate: Percent
    hsn: str | None
    stock: Quantity
    reserved: Quantity = Field(description="Held for confirmed orders.")
    available: Quantity = Field(
        description="What the counter may sell: stock less what confirmed orders hold."
    )
    low_stock_threshold: Quantity
    supplier: str | None
    location: str | None
    color: str | None
    scale_plu: str | None = Field(
        description="The item code the shop's scale labels carry (loose products only)."
    )
    aliases: list[str] = Field(description='Search words, lower-case ("chini", "cheeni").')
    perishable: bool = Field(
        description="Returns of it do not go back on the shelf unless the cashier says so."
    )
    archived: bool
    qr_url: str


class ProductCreate(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Basmati rice 1 kg",
                    "price": "120.00",
                    "cost": "95.00",
                    "tax_rate": "5",
                    "unit": "pcs",
                    "category": "Grocery",
                    "stock": "40",
                }
            ]
        }
    )

    code: str | None = Field(
        default=None,
        max_length=PRODUCT["code"],
        description="Barcode; an internal EAN-13 when omitted.",
    )
    name: str = Field(max_length=PRODUCT["name"], examples=["Basmati rice"])
    category: str | None = Field(default=None, max_length=limits.CATEGORY_NAME_LENGTH)
    unit: Unit = "pcs"
    price: MoneyIn
    cost: MoneyIn | None = None
    mrp: MoneyIn | None = None
    tax_rate: MoneyIn | None = Field(default=None, description="Percent, 0-100.")
    hsn: str | None = Field(default=None, max_length=PRODUCT["hsn"])
    stock: QuantityIn | None = Field(default=None, description="Opening stock.")
    low_stock_threshold: QuantityIn | None = None
    supplier: str | None = Field(default=None, max_length=PRODUCT["supplier"])
    location: str | None = Field(default=None, max_length=PRODUCT["location"])
    color: str | None = Field(default=None, max_length=PRODUCT["color"])
    scale_plu: str | None = Field(
        default=None,
        max_length=6,
        description="Scale PLU: as many digits as the scale labels' item code (4-6), for a "
        'product sold by kg, g or l; unique among active products. "" clears it.',
    )
    aliases: str | list[str] | None = Field(
        default=None,
        description=(
            "Search words: a comma-separated text or a list; stored lower-case. At most "
            f"{limits.ALIAS_COUNT} of {limits.ALIAS_LENGTH} characters each."
        ),
    )
    perishable: bool = Field(
        default=False,
        description="Milk, bread, vegetables: a return of it is not restocked by default "
        "on the return form.",
    )


class ProductUpdate(Request):
    """Only the fields sent change."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"price": "125.00", "low_stock_threshold": "10"}]}
    )

    code: str | None = Field(default=None, max_length=PRODUCT["code"])
    name: str | None = Field(default=None, max_length=PRODUCT["name"])
    category: str | None = Field(default=None, max_length=limits.CATEGORY_NAME_LENGTH)
    unit: Unit | None = None
    price: MoneyIn | None = None
    cost: MoneyIn | None = None
    mrp: MoneyIn | None = None
    tax_rate: MoneyIn | None = None
    hsn: str | None = Field(default=None, max_length=PRODUCT["hsn"])
    low_stock_threshold: QuantityIn | None = None
    supplier: str | None = Field(default=None, max_length=PRODUCT["supplier"])
    location: str | None = Field(default=None, max_length=PRODUCT["location"])
    color: str | None = Field(default=None, max_length=PRODUCT["color"])
    scale_plu: str | None = Field(
        default=None,
        max_length=6,
        description="Scale PLU: as many digits as the scale labels' item code (4-6), for a "
        'product sold by kg, g or l; unique among active products. "" clears it.',
    )
    aliases: str | list[str] | None = Field(
        default=None,
        description=(
            "Search words: a comma-separated text or a list; stored lower-case. At most "
            f"{limits.ALIAS_COUNT} of {limits.ALIAS_LENGTH} characters each."
        ),
    )
    perishable: bool | None = None
    archived: bool | None = None


class StockMovementRequest(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"delta": "24", "reason": "purchase", "note": "Bill 1182", "unit_cost": "94.50"}
            ]
        }
    )

    delta: QuantityIn = Field(description="Signed change of stock.")
    reason: Literal["opening", "purchase", "adjust_damage", "adjust_loss", "adjust_count"]
    note: str | None = Field(default=None, max_length=limits.STOCK_NOTE_LENGTH)
    unit_cost: MoneyIn | None = Field(
        default=None, description="Only with a purchase or opening stock."
    )


class RerateRequest(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"category": "Snacks", "current_rate": "12", "new_rate": "5", "preview": True},
                {
                    "current_rate": "12",
                    "new_rate": "5",
                    "token": "9f0c2b7d51e84a3c6d1e0f2a4b5c6d7e",
                },
            ]
        }
    )

    category: str | None = Field(
        default=None, max_length=limits.CATEGORY_NAME_LENGTH, description="A category's name."
    )
    current_rate: MoneyIn | None = Field(
        default=None, description="Percent; only products with this rate. This or category."
    )
    new_rate: MoneyIn = Field(description="Percent, 0-100.")
    preview: bool | None = Field(
        default=None, description="true: answer what would change and its token; write nothing."
    )
    token: str | None = Field(
        default=None, description="The preview's token; required to apply the change."
    )


class RerateProduct(Response):
    id: int
    code: str
    name: str
    category: str
    old_rate: Percent
    new_rate: Percent


class RerateResult(Response):
    applied: bool = Field(description="false for a preview.")
    count: int = Field(description="How many products change (or changed).")
    already: int = Field(description="Selected products that already have the new rate.")
    new_rate: Percent
    token: str = Field(description="Send it back with the same selection to apply.")
    products: list[RerateProduct]


class Lookup(Response):
    product: Product
    quantity: Quantity = Field(description="The quantity the code carries (scales), else 1.")
    scale_label: str | None = Field(
        description="The code, when it is one of the shop's scale labels: send it back as the "
        "cart line's `scale_label`, so the server reads the label again."
    )
    amount: Money | None = Field(
        description="A price label's price: the line sells at exactly this amount."
    )
    batch: str | None = Field(
        default=None, description="A GS1 code's batch or lot (AI 10), when it carries one."
    )
    expiry: Day | None = Field(
        default=None,
        description="A GS1 code's expiry date (AI 17; day 00 is the month's last day).",
    )
    expiry_label: str | None = Field(
        default=None,
        description="The expiry date as the shop's locale writes it (31-12-2026 in India).",
    )
    expired: bool = Field(
        default=False, description="The GS1 expiry date is before today on the shop's clock."
    )


# ---------------------------------------------------------------- invoices


class CheckoutItem(Request):
    product_id: int | None = Field(default=None, description="This, `code` or `scale_label`.")
    code: str | None = Field(default=None, description="The product's code or barcode.")
    scale_label: str | None = Field(
        default=None,
        min_length=13,
        max_length=13,
        description="A weighing scale's EAN-13 label: the product (by its scale PLU), the "
        "quantity and, for a price label, the line's amount are read from it; `quantity` is "
        "then ignored.",
    )
    quantity: QuantityIn | None = Field(default=None, description="Defaults to 1.")
    discount: MoneyIn | None = Field(default=None, description="Line discount (amount).")
    price: MoneyIn | None = Field(
        default=None,
        description="Unit price changed at the counter (omitted: the product's). A cashier's"
        " change, and any price below cost, needs an admin's approval.",
    )


class Approval(Request):
    """An admin approves the sale with their till PIN (wrong PIN: 422 on approval.pin)."""

    username: str = Field(max_length=64)
    pin: str = Field(pattern=r"^[0-9]{4,8}$")


class CheckoutPayment(Request):
    method: PaymentMethod
    amount: MoneyIn
    reference: str | None = Field(
        default=None,
        max_length=40,
        description="UPI or card only: what the cashier typed when the money arrived, a"
        " 12-digit UTR or up to 35 letters and digits (stored upper-case, spaces removed).",
        examples=["412345678901"],
    )
    upi_tr: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9]{1,35}$",
        description="UPI only: the `tr` (bill reference) the till's UPI QR carried.",
        examples=["TB261206143005K7QX2M"],
    )


class CheckoutRequest(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "customer_id": 7,
                    "items": [
                        {"product_id": 3, "quantity": "2"},
                        {"code": "8901234567890", "quantity": 1, "discount": "5.00"},
                    ],
                    "discount": "10%",
                    "payments": [
                        {"method": "cash", "amount": "100.00"},
                        {"method": "credit", "amount": "50.00"},
                    ],
                    "note": "optional",
                }
            ]
        }
    )

    customer_id: int | None = Field(default=None, description="Required for a credit part.")
    items: list[CheckoutItem] = Field(min_length=1, max_length=limits.MAX_CART_LINES)
    discount: str | None = Field(
        default=None, description='Bill discount: an amount ("10.00") or a percent ("10%").'
    )
    payments: list[CheckoutPayment] | None = Field(
        default=None, description="Omitted: one cash payment of the total."
    )
    note: str | None = Field(default=None, max_length=limits.CHECKOUT_NOTE_LENGTH)
    approval: Approval | None = Field(
        default=None,
        description="An admin's till PIN approving a sale answered 409 approval_required.",
    )


class CustomerRef(Response):
    id: int
    name: str
    phone: str


class Seller(Response):
    """The shop as it issued the document (its snapshot, not today's settings)."""

    name: str
    address: str | None
    phone: str | None
    email: str | None
    gstin: str | None
    state_code: str | None = Field(examples=["27"])
    state: str | None = Field(examples=["Maharashtra"])


class Buyer(Response):
    """The customer as billed (the snapshot, not today's customer record)."""

    name: str
    legal_name: str | None
    gstin: str | None
    address: str | None
    phone: str | None
    state_code: str | None
    state: str | None


class PlaceOfSupply(Response):
    code: str = Field(examples=["27"])
    name: str = Field(examples=["Maharashtra"])


class InvoiceLine(Response):
    id: int
    product_id: int | None
    code: str
    name: str
    quantity: Quantity
    unit: Unit
    unit_price: Money
    discount: Money
    tax_rate: Percent
    taxable: Money
    tax: Money
    cgst: Money = Field(description="Central GST; equals sgst on an intra-state document.")
    sgst: Money = Field(description="State GST.")
    igst: Money = Field(description="Integrated GST (inter-state documents only).")
    cess: Money
    total: Money


class TaxRow(Response):
    rate: Percent
    taxable: Money
    tax: Money = Field(description="cgst + sgst + igst + cess.")
    cgst: Money = Field(description="Central GST; equals sgst on an intra-state document.")
    sgst: Money = Field(description="State GST.")
    igst: Money = Field(description="Integrated GST (inter-state documents only).")
    cess: Money


class CreditNoteRef(Response):
    id: int
    number: str
    total: Money


class VoidInfo(Response):
    reason: str | None
    at: Timestamp | None
    by: str | None


class InvoicePayment(Response):
    method: PaymentMethod
    amount: Money
    created_at: Timestamp
    reference: str = Field(description='The UTR or reference typed at the till ("" none).')
    upi_tr: str = Field(description='The `tr` of the UPI QR shown for it ("" none).')


class Invoice(Response):
    id: int
    number: str = Field(examples=["INV2026-000123"])
    created_at: Timestamp
    cashier: str
    customer: CustomerRef | None = Field(description="Name and phone as billed.")
    title: str = Field(examples=["TAX INVOICE"])
    declaration: str | None
    seller: Seller
    buyer: Buyer | None
    place_of_supply: PlaceOfSupply | None
    lines: list[InvoiceLine]
    subtotal: Money
    discount_total: Money
    tax_total: Money
    tax_split: TaxSplit = Field(
        description="cgst_sgst: intra-state (equal halves); igst: inter-state; none: a bill "
        "of supply (no tax)."
    )
    tax_summary: list[TaxRow]
    round_off: Money
    total: Money
    paid: Money
    change: Money
    balance_due: Money
    status: InvoiceStatus
    note: str | None
    returned_total: Money
    credit_notes: list[CreditNoteRef]
    void: VoidInfo | None
    payments: list[InvoicePayment] = Field(description="Including later payments on account.")


class VoidRequest(Request):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "Rung up twice"}]})

    reason: str = Field(min_length=1, max_length=limits.REASON_LENGTH)


class ReturnLineRequest(Request):
    line_id: int
    quantity: QuantityIn


class ReturnRequest(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "lines": [{"line_id": 12, "quantity": "1"}],
                    "refund_method": "cash",
                    "restock": True,
                }
            ]
        }
    )

    lines: list[ReturnLineRequest] = Field(min_length=1, max_length=limits.MAX_RETURN_LINES)
    refund_method: Literal[REFUND_METHODS] = "cash"  # type: ignore[valid-type]
    restock: bool = True
    reason: str | None = Field(default=None, max_length=limits.REASON_LENGTH)


class InvoiceRef(Response):
    id: int
    number: str


class CreditNoteLine(Response):
    id: int
    line_id: int
    product_id: int | None
    code: str
    name: str
    quantity: Quantity
    unit: Unit
    unit_price: Money
    tax_rate: Percent
    taxable: Money
    tax: Money
    cgst: Money = Field(description="Central GST; equals sgst on an intra-state document.")
    sgst: Money = Field(description="State GST.")
    igst: Money = Field(description="Integrated GST (inter-state documents only).")
    cess: Money
    total: Money


class CreditNote(Response):
    id: int
    number: str
    created_at: Timestamp
    invoice: InvoiceRef
    invoice_status: InvoiceStatus
    user: str
    customer: CustomerRef | None = Field(description="Name and phone as billed.")
    title: str = Field(examples=["CREDIT NOTE"])
    declaration: str | None
    seller: Seller
    buyer: Buyer | None
    place_of_supply: PlaceOfSupply | None
    restock: bool
    refund_method: Literal[REFUND_METHODS]  # type: ignore[valid-type]
    reason: str | None
    lines: list[CreditNoteLine]
    taxable_total: Money
    tax_total: Money
    tax_split: TaxSplit = Field(description="As on its invoice.")
    tax_summary: list[TaxRow]
    round_off: Money
    total: Money
    applied_to_balance: Money
    refund: Money
    pdf_url: str


# ---------------------------------------------------------------- customers


class Customer(Response):
    id: int
    name: str
    phone: str = Field(description="E.164", examples=["+919876543210"])
    phone_display: str
    email: str | None
    address: str | None
    notes: str | None
    gstin: str | None = Field(
        description="A business customer's GSTIN (checked); null for none.",
        examples=["27AAPFU0939F1ZV"],
    )
    legal_name: str | None = Field(description="The name registered for GST.")
    state_code: str | None = Field(
        description="Two-digit GST state code, the place of supply; with a GSTIN, its state."
        " null: not set (the shop's state).",
        examples=["27"],
    )
    credit_limit: Money | None = Field(
        description='null: no credit limit; "0.00": no credit allowed; else the most the'
        " balance may reach."
    )
    archived: bool
    created_at: Timestamp
    balance: Money = Field(description="What the customer owes (negative: an advance).")


class Aging(Response):
    d0_30: Money = Field(alias="0_30")
    d31_60: Money = Field(alias="31_60")
    d61_90: Money = Field(alias="61_90")
    d90_plus: Money = Field(alias="90_plus")


class CustomerDetail(Customer):
    available_credit: Money | None = Field(description="Credit still allowed; null: no limit.")
    aging: Aging
    oldest_due: Timestamp | None
    last_visit: Timestamp | None
    total_spent: Money
    invoice_count: int


class CustomerCreate(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "Asha Verma", "phone": "98765 43210", "credit_limit": "2000.00"}]
        }
    )

    name: str = Field(min_length=1, max_length=CUSTOMER["name"])
    phone: str = Field(examples=["98765 43210"])
    email: str | None = Field(default=None, max_length=CUSTOMER["email"])
    address: str | None = Field(default=None, max_length=CUSTOMER["address"])
    notes: str | None = Field(default=None, max_length=CUSTOMER["notes"])
    gstin: str | None = Field(
        default=None,
        description="15 characters, checked (state code, PAN, check character); spaces and"
        ' case are forgiven; "" removes it.',
        examples=["27AAPFU0939F1ZV"],
    )
    legal_name: str | None = Field(default=None, max_length=CUSTOMER["legal_name"])
    state_code: str | None = Field(
        default=None,
        description='Two-digit GST state code; with a GSTIN it must be the GSTIN\'s ("" or'
        " omitted takes it from the GSTIN).",
        examples=["27"],
    )
    credit_limit: MoneyIn | None = Field(
        default=None,
        description="Admins only, unless it is the shop's limit for new customers (what a"
        " customer gets when it is left out); null: no credit limit.",
    )
    opening_balance: MoneyIn | None = Field(default=None, description="Signed; created once.")


class CustomerUpdate(Request):
    """Only the fields sent change; credit limits are for admins."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"address": "12 Station Road"}]})

    name: str | None = Field(default=None, max_length=CUSTOMER["name"])
    phone: str | None = None
    email: str | None = Field(default=None, max_length=CUSTOMER["email"])
    address: str | None = Field(default=None, max_length=CUSTOMER["address"])
    notes: str | None = Field(default=None, max_length=CUSTOMER["notes"])
    gstin: str | None = Field(
        default=None,
        description="15 characters, checked (state code, PAN, check character); spaces and"
        ' case are forgiven; "" removes it.',
        examples=["27AAPFU0939F1ZV"],
    )
    legal_name: str | None = Field(default=None, max_length=CUSTOMER["legal_name"])
    state_code: str | None = Field(
        default=None,
        description='Two-digit GST state code; with a GSTIN it must be the GSTIN\'s ("" or'
        " omitted takes it from the GSTIN).",
        examples=["27"],
    )
    credit_limit: MoneyIn | None = Field(
        default=None, description="Admins only; null: no credit limit (left out: unchanged)."
    )
    archived: bool | None = None


class LedgerLine(Response):
    id: int
    kind: Literal["opening", "credit_sale", "payment", "return", "adjustment", "void"]
    amount: Money = Field(description="Signed: positive raises what the customer owes.")
    balance: Money = Field(description="Running balance after this entry.")
    invoice: InvoiceRef | None
    payment_id: int | None
    note: str | None
    user: str | None
    created_at: Timestamp


class PaymentRequest(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"amount": "500.00", "method": "upi", "note": "GPay ref 5521"}]
        }
    )

    amount: MoneyIn
    method: AccountMethod
    note: str | None = Field(default=None, max_length=limits.LEDGER_NOTE_LENGTH)


class Allocation(Response):
    invoice_id: int
    invoice_number: str | None
    amount: Money


class PaymentResult(Response):
    id: int
    customer_id: int
    method: AccountMethod
    amount: Money
    note: str | None
    created_at: Timestamp
    allocations: list[Allocation]
    unallocated: Money
    advance: Money
    balance: Money


class AdjustmentRequest(Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"amount": "-20.00", "reason": "Rounded off the old balance"}]
        }
    )

    amount: MoneyIn = Field(description="Signed: positive raises what the customer owes.")
    reason: str = Field(min_length=1, max_length=limits.LEDGER_NOTE_LENGTH)


# ---------------------------------------------------------------- dashboard


class Today(Response):
    sales: Money
    invoices: int
    gross_profit: Money
    average_bill: Money
    cash_in_drawer: Money = Field(
        description="Expected cash in every open cash-drawer session (additive to the contract)."
    )


class Daily(Response):
    date: Day
    label: str = Field(
        description="The day without its year as the shop's locale writes it (additive).",
        examples=["06-12"],
    )
    sales: Money
    invoices: int


class Monthly(Response):
    month: str = Field(pattern=r"^\d{4}-\d{2}$", examples=["2026-11"])
    label: str = Field(
        description="The month as the shop's locale writes it (additive).",
        examples=["Nov 2026"],
    )
    sales: Money
    gross_profit: Money


class TopProduct(Response):
    product_id: int | None
    name: str
    quantity: Quantity
    sales: Money


class StockItem(Response):
    product_id: int
    code: str
    name: str
    unit: Unit
    stock: Quantity
    low_stock_threshold: Quantity


class MethodAmount(Response):
    method: PaymentMethod
    amount: Money


class DashboardStats(Response):
    today: Today
    daily: list[Daily] = Field(description="The last 30 days.")
    monthly: list[Monthly] = Field(description="The last 12 months.")
    top_products: list[TopProduct] = Field(description="10, by sales, last 30 days.")
    low_stock: list[StockItem]
    out_of_stock: list[StockItem]
    outstanding_credit: Money
    payment_methods: list[MethodAmount] = Field(description="The last 30 days.")


# ---------------------------------------------------------------- settings

# The settings every user reads: what a till needs to price, sell, scan and print a bill
# (docs/API.md "Settings"). Kept from cashiers: the discount audit threshold (knowing it is
# knowing how to stay under it), the printer's network address, sessions, tokens, two-step
# login, the LAN and backup settings, the allowed host names.
TILL_SETTINGS: tuple[str, ...] = (
    *("shop_name", "address", "phone", "email", "tax_number", "state_code"),
    *("composition_scheme", "logo", "currency", "locale", "invoice_prefix", "fy_start_month"),
    *("prices_include_tax", "split_tax", "round_off", "receipt_width_mm", "receipt_footer"),
    *("invoice_layout", "documents_language", "low_stock_default", "stock_policy"),
    *("devanagari_digits",),
    *("scale_prefix", "scale_item_digits", "scale_value", "scale_price_check", "phone_region"),
    *("label_sheet",),
    *("cashier_max_line_discount_percent", "cashier_max_bill_discount_percent"),
    *("cash_session_required", "printer_kind", "printer_auto_print", "printer_open_drawer"),
    *("upi_ids", "upi_payee_name", "upi_qr_on_documents"),
)
# What PUT /api/settings may change: the shop settings page's fields, checked by its own
# validation, except `allowed_hosts` (the host names the till answers to are its defence
# against DNS rebinding: an admin changes them on the page, not a token from afar). The
# settings of other pages (stock, printer, users, network, backups) keep their own pages.
WRITABLE_SETTINGS: tuple[str, ...] = (
    *("shop_name", "address", "phone", "email", "tax_number", "state_code"),
    *("composition_scheme", "currency", "locale", "invoice_prefix", "fy_start_month"),
    *("invoice_layout", "discount_audit_percent", "receipt_width_mm", "receipt_footer"),
    *("documents_language", "low_stock_default", "prices_include_tax", "split_tax", "round_off"),
    *("stock_policy", "cashier_max_line_discount_percent", "cashier_max_bill_discount_percent"),
    *("new_customer_credit_limit", "new_customer_no_credit_limit", "devanagari_digits"),
    *("scale_prefix", "scale_item_digits", "scale_value", "scale_price_check"),
    *("upi_ids", "upi_payee_name", "upi_qr_on_documents"),
)
# A stored name the API spells otherwise: the low-stock default is a quantity string there.
SETTING_API_NAMES = {"low_stock_default_milli": "low_stock_default"}


class UpiIdSetting(Request):
    """One of the shop's UPI IDs (the settings' `upi_ids`)."""

    vpa: str = Field(
        max_length=128, description="name@handle, stored lower-case.", examples=["sharma@okaxis"]
    )
    label: str = Field(default="", max_length=30, examples=["SBI current account"])
    default: bool = Field(default=False, description="The one the till's QR pays (exactly one).")


def _settings_model() -> type[BaseModel]:
    """The Settings answer, built from ShopSettings so a new setting cannot be left out."""
    definitions: dict[str, Any] = {}
    for item in dataclass_fields(ShopSettings):
        name = SETTING_API_NAMES.get(item.name, item.name)
        kind: Any = {
            "low_stock_default": Quantity,
            "new_customer_credit_limit": Money,
            "upi_ids": list[UpiIdSetting],
        }.get(name, type(item.default))
        if name in TILL_SETTINGS:
            definitions[name] = (kind, ...)
        else:
            definitions[name] = (kind | None, Field(default=None, description="Admins only."))
    return create_model(
        "Settings",
        __base__=Response,
        __doc__="The shop settings: every key for an admin, the till's keys for a cashier.",
        **definitions,
    )


Settings = _settings_model()


class SettingsUpdate(Request):
    """Only the keys sent change (null: unchanged); any other key is refused (422)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"shop_name": "Sharma General Store", "tax_number": "27AAPFU0939F1ZV"}]
        }
    )

    shop_name: str | None = Field(default=None, max_length=SHOP_TEXT["shop_name"])
    address: str | None = Field(default=None, max_length=SHOP_TEXT["address"])
    phone: str | None = Field(default=None, max_length=SHOP_TEXT["phone"])
    email: str | None = Field(default=None, max_length=SHOP_TEXT["email"])
    tax_number: str | None = Field(
        default=None,
        description='The shop\'s GSTIN, checked (state, PAN, check character); "" for none.',
        examples=["27AAPFU0939F1ZV"],
    )
    state_code: str | None = Field(
        default=None,
        description="Two-digit GST state code; with a GSTIN it must be the GSTIN's (left out"
        ' with a new GSTIN, or "", it is taken from the GSTIN).',
        examples=["27"],
    )
    composition_scheme: bool | None = Field(
        default=None, description="Bills of Supply without tax; needs the GSTIN."
    )
    currency: str | None = Field(default=None, examples=["INR"])
    locale: str | None = Field(default=None, examples=["en_IN"])
    invoice_prefix: str | None = Field(default=None, pattern=r"^[A-Za-z0-9-]{1,10}$")
    fy_start_month: int | None = Field(default=None, ge=1, le=12)
    invoice_layout: Literal["a4", "a5", "receipt"] | None = None
    documents_language: Literal["en", "hi", "bilingual"] | None = Field(
        default=None, description="The language of bills and receipts: English, Hindi or both."
    )
    devanagari_digits: bool | None = Field(
        default=None,
        description="Amounts, quantities and dates shown in Hindi or Marathi use the digits"
        " ०-९ (screens in those languages, documents issued in Hindi); the API keeps 0-9.",
    )
    discount_audit_percent: int | None = Field(default=None, ge=0, le=100)
    receipt_width_mm: Literal[58, 80] | None = None
    receipt_footer: str | None = Field(default=None, max_length=SHOP_TEXT["receipt_footer"])
    low_stock_default: QuantityIn | None = None
    prices_include_tax: bool | None = None
    split_tax: bool | None = None
    round_off: bool | None = None
    stock_policy: Literal["block", "warn"] | None = Field(
        default=None,
        description='Stock short: "block" (an admin approves the sale with their PIN) or'
        ' "warn" (sell, stock goes negative).',
    )
    cashier_max_line_discount_percent: int | None = Field(default=None, ge=0, le=100)
    cashier_max_bill_discount_percent: int | None = Field(default=None, ge=0, le=100)
    scale_prefix: str | None = Field(
        default=None,
        max_length=40,
        description='Scale label prefixes within 20-29: a range ("20-29") or a list ("21,22").',
        examples=["20-29"],
    )
    scale_item_digits: int | None = Field(
        default=None, ge=4, le=6, description="Digits of the item code (the scale PLU)."
    )
    scale_value: Literal["weight", "price"] | None = Field(
        default=None, description="What a scale label carries: weight in grams or price in paise."
    )
    scale_price_check: bool | None = Field(
        default=None, description="A price check digit stands before the value (4-5 digit items)."
    )
    new_customer_credit_limit: MoneyIn | None = Field(
        default=None, description="The credit limit every new customer gets."
    )
    new_customer_no_credit_limit: bool | None = Field(
        default=None, description="New customers get no credit limit at all."
    )
    upi_ids: list[UpiIdSetting] | None = Field(
        default=None,
        max_length=5,
        description="The shop's UPI IDs, the whole list (an empty list removes them all).",
    )
    upi_payee_name: str | None = Field(
        default=None, max_length=50, description="The payee name the customer's UPI app shows."
    )
    upi_qr_on_documents: bool | None = Field(
        default=None,
        description="Receipts and A4 invoices carry a UPI QR for the balance due.",
    )


# ---------------------------------------------------------------- list envelopes


class Page(Response):
    total: int = Field(ge=0)
    page: int = Field(ge=1)
    per_page: int = Field(ge=1, le=MAX_PER_PAGE)


class ProductPage(Page):
    items: list[Product]


class InvoicePage(Page):
    items: list[Invoice]


class CustomerPage(Page):
    items: list[Customer]


class LedgerPage(Page):
    items: list[LedgerLine]


# ---------------------------------------------------------------- query strings


class ListQuery(BaseModel):
    """Every list endpoint pages the same way."""

    page: int = Field(default=1, ge=1, le=MAX_PAGE, description="From 1.")
    per_page: int = Field(default=DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE)


class SearchQuery(ListQuery):
    q: str | None = Field(
        default=None, max_length=MAX_Q_LENGTH, description="Search text (empty: everything)."
    )
    include_archived: bool = False


class ProductQuery(SearchQuery):
    q: str | None = Field(
        default=None,
        max_length=MAX_Q_LENGTH,
        description="Name (word prefix, then fuzzy) or code.",
    )
    category: str | None = Field(default=None, description="Category name.")
    low_stock: bool = Field(default=False, description="Only products at or below their level.")


class CustomerQuery(SearchQuery):
    q: str | None = Field(
        default=None,
        max_length=MAX_Q_LENGTH,
        description="Name (prefix, then fuzzy) or phone digits in any format.",
    )


class InvoiceQuery(ListQuery):
    q: str | None = Field(
        default=None, max_length=MAX_Q_LENGTH, description="Invoice number or customer."
    )
    from_: Day | None = Field(default=None, alias="from", description="First day, inclusive.")
    to: Day | None = Field(default=None, description="Last day, inclusive.")
    customer_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    status: InvoiceStatus | None = None
    method: PaymentMethod | None = Field(default=None, description="Paid (partly) by this.")
    cashier_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="Admins only.")
    min: MoneyIn | None = Field(default=None, description="Smallest total.")
    max: MoneyIn | None = Field(default=None, description="Largest total.")


class LedgerQuery(ListQuery):
    order: Literal["asc", "desc"] = "asc"


class InvoicePdfQuery(BaseModel):
    layout: Literal["a4", "a5", "receipt"] | None = Field(
        default=None, description="A4 when left out, whatever the shop's own layout setting."
    )


class LookupQuery(BaseModel):
    code: str = Field(
        min_length=1,
        description="Barcode, QR payload, scale EAN-13, GS1 element string "
        "((01)…(17)…, or ]C1/]Q3 raw with FNC1 separators) or GS1 Digital Link URI.",
    )
