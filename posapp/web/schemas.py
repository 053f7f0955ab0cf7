"""Pydantic models of the till's own JSON endpoints (cookie session + CSRF header).

The till page's price preview, held bills and receipt printing, and the backups and export
pages' JSON calls, documented the way the API is (posapp/apidoc.py): the OpenAPI document lists
them under the `till` tag, and with API_CHECK_RESPONSES on (the tests) every answer is checked
against these models. The limits are posapp/services/limits.py's, as the parsers enforce them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from posapp.apidoc import Money, MoneyIn, Quantity, QuantityIn, Request, Response, Timestamp
from posapp.money import UNITS
from posapp.services import limits

Unit = Literal[UNITS]  # type: ignore[valid-type]

# ---------------------------------------------------------------- the till's cart


class TillCartItem(Request):
    product_id: int | None = Field(default=None, description="This, `code` or `scale_label`.")
    code: str | None = Field(default=None, description="The product's code or barcode.")
    scale_label: str | None = Field(
        default=None,
        min_length=13,
        max_length=13,
        description="A weighing scale's EAN-13 label, read again by the server (product, "
        "quantity, a price label's amount); `quantity` is then ignored.",
    )
    quantity: QuantityIn | None = Field(default=None, description="Defaults to 1.")
    discount: MoneyIn | None = Field(default=None, description="Line discount (amount).")
    price: MoneyIn | None = Field(default=None, description="Unit price changed at the till.")


class TillCart(Request):
    """The cart the till prices: the same shape, rules and messages as a checkout's."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [{"product_id": 3, "quantity": "2"}], "discount": "5%"}]
        }
    )

    items: list[TillCartItem] = Field(min_length=1, max_length=limits.MAX_CART_LINES)
    discount: str | None = Field(
        default=None, description='Bill discount: an amount ("10.00") or a percent ("10%").'
    )
    customer_id: int | None = None


class PricedLine(Response):
    product_id: int
    code: str
    name: str
    unit: Unit
    quantity: Quantity
    unit_price: Money
    gross: Money
    discount: Money
    tax: Money
    total: Money
    stock: Quantity
    available: Quantity = Field(description="On hand less what confirmed orders hold.")
    short: bool = Field(description="It asks for more than is available.")
    expired: Quantity | None = Field(description="Expired stock believed on the shelf.")


class PricePreview(Response):
    lines: list[PricedLine]
    subtotal: Money
    discount_total: Money
    tax_total: Money
    round_off: Money
    total: Money
    prices_include_tax: bool
    allow_negative_stock: bool = Field(description='The stock policy is "warn".')
    stock_policy: str = Field(description='"block" (an admin approves) or "warn" (sell).')


# ---------------------------------------------------------------- held bills


class TillHoldRequest(Request):
    """A cart to park: every item by product_id, whole pieces or 3 decimals."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": [{"product_id": 3, "quantity": "2"}], "label": "Asha"}]
        }
    )

    items: list[TillCartItem] = Field(min_length=1, max_length=limits.MAX_CART_LINES)
    discount: str | None = None
    customer_id: int | None = None
    label: str | None = Field(default=None, max_length=limits.HELD_LABEL_LENGTH)


class HeldBill(Response):
    id: int
    label: str
    user: str
    created_at: Timestamp
    items: int = Field(description="How many lines.")
    stale: bool = Field(description="Parked before today.")


class HeldBillList(Response):
    items: list[HeldBill]


class RecalledLine(Response):
    product_id: int
    code: str
    name: str
    unit: Unit
    price: Money
    stock: Quantity
    quantity: str = Field(description="As it was parked.")
    discount: str | None
    scale_label: str | None = Field(description="The scale label of a weighed package's line.")
    override_price: str | None = Field(default=None, description="A price changed at the till.")


class RecalledCart(Response):
    label: str
    lines: list[RecalledLine]
    discount: str
    customer_id: int | None


class Recalled(Response):
    cart: RecalledCart


# ---------------------------------------------------------------- receipt printer


class PrintRequest(Request):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"duplicate": False, "after_sale": True}]}
    )

    duplicate: bool = Field(default=False, description="A reprint (marked DUPLICATE).")
    after_sale: bool = Field(default=False, description="Opens the drawer for a cash sale.")


class PrintResult(Response):
    printed: bool
    drawer: bool
    message: str


# ---------------------------------------------------------------- backups and exports


class TillError(Response):
    """The backups and export pages' own error answer: one sentence to show."""

    error: str


class BackupJobRequest(Request):
    """An empty object backs up into the backups folder, offered as a download."""

    model_config = ConfigDict(json_schema_extra={"examples": [{}]})

    folder: str | None = Field(
        default=None, description="A folder on this computer (the desktop window only)."
    )


class BackupJobStarted(Response):
    job: str
    status_url: str


class BackupJob(Response):
    id: str
    state: Literal["running", "done", "failed"]
    done: int
    total: int
    percent: int = Field(ge=0, le=100)
    file: str
    path: str
    size: int
    error: str
    download_url: str | None = Field(
        default=None, description="Once done without a folder: where to download it."
    )


class ExportFolderRequest(Request):
    """One table at a time, which is what drives the page's progress bar."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"folder": "E:\\", "name": "TillBook-export-2026-11-22-1830", "table": "products"}
            ]
        }
    )

    folder: str = Field(description="A folder on this computer (the desktop window only).")
    name: str = Field(
        pattern=r"^TillBook-export-\d{4}-\d{2}-\d{2}-\d{4}$", description="The dated folder."
    )
    table: str


class ExportWritten(Response):
    written: str = Field(description="The file written.")


# ---------------------------------------------------------------- UPI


class UpiQrQuery(BaseModel):
    amount: str = Field(description='Rupees, more than 0, at most 2 decimals ("149.50").')
    tr: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9]{1,35}$",
        description="The bill's reference from an earlier answer; a new one is made without it.",
    )


class UpiQr(Response):
    link: str = Field(description="The NPCI pay link the QR carries (upi://pay?pa=…).")
    svg: str = Field(description="The QR as SVG (no fixed size: set its width).")
    vpa: str
    payee: str
    label: str
    amount: str = Field(examples=["149.50"])
    amount_text: str = Field(examples=["₹149.50"])
    tr: str = Field(examples=["TB261206143005K7QX2M"])
