"""Categories, products and their immutable stock movements."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    false,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from posapp.extensions import Model
from posapp.models.base import utcnow

MOVEMENT_REASONS = (
    "opening",
    "sale",
    "return",
    "purchase",
    "adjust_damage",
    "adjust_loss",
    "adjust_count",
    "void",
    "supplier_return",
    "transfer_out",
    "transfer_in",
)


class Category(Model):
    """A product category (Grocery, Dairy, ...)."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)


class Product(Model):
    """Something the shop sells; money in minor units, stock in thousandths."""

    __tablename__ = "products"
    __table_args__ = (
        Index(
            "uq_products_active_name",
            func.lower(text("name")),
            unique=True,
            sqlite_where=text("archived = 0"),
            postgresql_where=text("archived = false"),
        ),
        # A scale label names its product by this PLU: unique among active products (NULL,
        # the products no scale labels, never collides).
        Index(
            "uq_products_active_plu",
            "scale_plu",
            unique=True,
            sqlite_where=text("archived = 0"),
            postgresql_where=text("archived = false"),
        ),
        # The product list pages through this index alone (offset and keyset on name, id).
        Index("ix_products_archived_name_id", "archived", "name", "id"),
        CheckConstraint("price >= 0", name="ck_products_price"),
        CheckConstraint("tax_rate_bp BETWEEN 0 AND 10000", name="ck_products_tax"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(160), index=True)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id"), default=None, index=True
    )
    unit: Mapped[str] = mapped_column(String(8), default="pcs")
    price: Mapped[int] = mapped_column(BigInteger)
    cost: Mapped[int] = mapped_column(BigInteger, default=0)
    mrp: Mapped[int | None] = mapped_column(BigInteger, default=None)
    tax_rate_bp: Mapped[int] = mapped_column(default=0)
    hsn: Mapped[str] = mapped_column(String(16), default="")
    stock_milli: Mapped[int] = mapped_column(BigInteger, default=0)
    # What the stock is worth in the books (paise): moves with every stock movement by the
    # value the inventory account moves (services/books.py issue_value), so the account
    # always equals the sum of these. About stock × cost, apart from rounding of the average.
    stock_value: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Held for confirmed orders not yet delivered: the sum of their lines' reserved_milli.
    # Available to sell at the counter = stock_milli - reserved_milli.
    reserved_milli: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # A service (delivery charge, alteration, recharge): sold and taxed, but it has no stock:
    # no movements, no stock value, never received, counted or reserved.
    is_service: Mapped[bool] = mapped_column(default=False, server_default=false())
    low_stock_milli: Mapped[int] = mapped_column(BigInteger, default=0)
    supplier: Mapped[str] = mapped_column(String(120), default="")
    location: Mapped[str] = mapped_column(String(60), default="")
    color: Mapped[str] = mapped_column(String(30), default="")
    scale_plu: Mapped[str | None] = mapped_column(String(6), default=None)
    # Search words, normalised: lower-case, comma-separated, no spaces around commas
    # ("chini,cheeni,shakkar"); services/catalog.py parse_aliases writes them.
    aliases: Mapped[str] = mapped_column(String(400), default="", server_default="")
    # Phonetic search keys of the name's and the aliases' words ("चीनी 1 kg" -> "cini 1 kg"),
    # space-separated; services/translit.py makes them, written with the name and aliases, so
    # "chini" finds "चीनी" (services/catalog.py search_products).
    name_key: Mapped[str] = mapped_column(String(400), default="", server_default="")
    alias_key: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    # Perishable goods (milk, bread, vegetables) are not put back on the shelf when returned,
    # unless the cashier says so: the return form's "back on the shelf" box follows this.
    perishable: Mapped[bool] = mapped_column(default=False, server_default=false())
    archived: Mapped[bool] = mapped_column(default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    category: Mapped[Category | None] = relationship(lazy="joined")

    @property
    def category_name(self) -> str:
        return self.category.name if self.category else ""


def active_named(name: str) -> list[ColumnElement[bool]]:
    """WHERE terms for the active product of this name, in any case, as the database folds it.

    The same lower() and condition as the unique index uq_products_active_name, so each
    database answers from that index. `archived = false`, not `IS 0`: SQLite uses a partial
    index only when the query repeats its WHERE term, and with `IS 0` it read the whole
    catalog (20 ms a product save at 100 000 products). The name is lowered by the database
    too: SQLite's lower() folds only ASCII, so a name lowered by Python missed even its own
    exact spelling ("Çay" became "çay", the database's lower kept "Çay").
    """
    return [func.lower(Product.name) == func.lower(name), Product.archived == false()]


class StockMovement(Model):
    """One immutable change of a product's stock; stock is always the sum of these."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        # Last sale per product (dead stock), sales of the last 30 days, movement history.
        Index("ix_stock_movements_product_reason_time", "product_id", "reason", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    delta_milli: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(String(200), default="")
    unit_cost: Mapped[int | None] = mapped_column(BigInteger, default=None)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Purchase(Model):
    """A receipt of stock from a supplier (a purchase bill), numbered PUR-000001."""

    __tablename__ = "purchases"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    supplier: Mapped[str] = mapped_column(String(120), default="")
    # The supplier's khata (services/suppliers.py); None for a purchase from no one in particular.
    supplier_id: Mapped[int | None] = mapped_column(
        ForeignKey("suppliers.id"), default=None, index=True
    )
    reference: Mapped[str] = mapped_column(String(64), default="")
    # The supplier's GSTIN and state make the bill's tax claimable as input tax credit.
    supplier_gstin: Mapped[str] = mapped_column(String(15), default="", server_default="")
    supplier_state: Mapped[str] = mapped_column(String(2), default="", server_default="")
    bill_date: Mapped[date | None] = mapped_column(default=None)
    note: Mapped[str] = mapped_column(String(200), default="")
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    # Payment terms: the bill's amount with tax (what the supplier is owed for it), the part
    # paid when the stock came in and how, what is paid so far (that part plus allocations of
    # supplier payments) and when the rest falls due (bill date + the supplier's credit days).
    payable: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    paid_now: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    paid_method: Mapped[str] = mapped_column(String(8), default="", server_default="")
    paid: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Debit notes against this bill (goods sent back): they lower what is owed on it.
    returned: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    due_date: Mapped[date | None] = mapped_column(default=None)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    lines: Mapped[list[PurchaseLine]] = relationship(
        back_populates="purchase", order_by="PurchaseLine.id"
    )


class PurchaseLine(Model):
    """One product received on a purchase, with its unit cost and optional expiry/batch."""

    __tablename__ = "purchase_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    qty_milli: Mapped[int] = mapped_column(BigInteger)
    unit_cost: Mapped[int] = mapped_column(BigInteger, default=0)
    # The tax charged on this line by the supplier (input tax): rate, taxable value and heads.
    tax_rate_bp: Mapped[int] = mapped_column(default=0, server_default="0")
    taxable: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    cgst: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    sgst: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    igst: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    cess: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    expiry_date: Mapped[date | None] = mapped_column(default=None, index=True)
    batch: Mapped[str] = mapped_column(String(40), default="")

    purchase: Mapped[Purchase] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()
