"""HQ's projections (issue 24): typed tables HQ's reports read, kept from `hq_records`.

hq_invoices, hq_daily, hq_invoice_tax, hq_credit_notes, hq_credit_note_tax, hq_ledger,
hq_customers, hq_stock, hq_journal_lines, hq_audit: each row carries its shop. They are kept in each push's
transaction and can be rebuilt from `hq_records` (`python app.py hq rebuild`), so an HQ
upgraded to this revision runs the rebuild once. A shop's database gets them too, empty.

Revision ID: c24a6e1f3ba0
Revises: c24a6e1f3b90
Create Date: 2026-12-07 05:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c24a6e1f3ba0"
down_revision = "c24a6e1f3b90"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "hq_invoices",
        sa.Column("shop_id", sa.String(length=36), nullable=False),
        sa.Column("invoice_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("tax", sa.BigInteger(), nullable=False),
        sa.Column("discount", sa.BigInteger(), nullable=False),
        sa.Column("net", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("cash", sa.BigInteger(), nullable=False),
        sa.Column("card", sa.BigInteger(), nullable=False),
        sa.Column("upi", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["hq_shops.id"]),
        sa.PrimaryKeyConstraint("shop_id", "invoice_id"),
    )
    op.create_index("ix_hq_invoices_shop_day", "hq_invoices", ["shop_id", "day"])
    op.create_table(
        "hq_daily",
        sa.Column("shop_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("bills", sa.BigInteger(), nullable=False),
        sa.Column("gross", sa.BigInteger(), nullable=False),
        sa.Column("tax", sa.BigInteger(), nullable=False),
        sa.Column("net", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("discount", sa.BigInteger(), nullable=False),
        sa.Column("returns", sa.BigInteger(), nullable=False),
        sa.Column("returns_tax", sa.BigInteger(), nullable=False),
        sa.Column("returns_taxable", sa.BigInteger(), nullable=False),
        sa.Column("returns_cost", sa.BigInteger(), nullable=False),
        sa.Column("returns_cash", sa.BigInteger(), nullable=False),
        sa.Column("returns_credit", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["hq_shops.id"]),
        sa.PrimaryKeyConstraint("shop_id", "day"),
    )
    op.create_table(
        "hq_invoice_tax",
        sa.Column("shop_id", sa.String(length=36), nullable=False),
        sa.Column("invoice_id", sa.String(length=64), nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("void", sa.Boolean(), nullable=False),
        sa.Column("taxable", sa.BigInteger(), nullable=False),
        sa.Column("tax", sa.BigInteger(), nullable=False),
        sa.Column("cgst", sa.BigInteger(), nullable=False),
        sa.Column("sgst", sa.BigInteger(), nullable=False),
        sa.Column("igst", sa.BigInteger(), nullable=False),
        sa.Column("cess", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["hq_shops.id"]),
        sa.PrimaryKeyConstraint("shop_id", "invoice_id", "rate_bp"),
    )
    op.create_index("ix_hq_invoice_tax_shop_day", "hq_invoice_tax", ["shop_id", "day"])
    op.create_table(
        "hq_credit_notes",
        sa.Column("shop_id", sa.String(length=36), nullable=False),
        sa.Column("note_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("invoice_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("taxable", sa.BigInteger(), nullable=False),
        sa.Column("tax", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("cash", sa.BigInteger(), nullable=False),
        sa.Column("credit", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["hq_shops.id"]),
        sa.PrimaryKeyConstraint("shop_id", "note_id"),
    )
    op.create_index("ix_hq_credit_notes_shop_day", "hq_credit_notes", ["shop_id", "day"])
    op.create_table(
        "hq_credit_note_tax",
        sa.Column("shop_id", sa.String(length=36), nullable=False),
        sa.Column("note_id", sa.String(length=64), nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("taxable", sa.BigInteger(), nullable=False),
        sa.Column("tax", sa.BigInteger(), nullable=False),
        sa.Column("cgst", sa.BigInteger(), nullable=False),
        sa.Column("sgst", sa.BigInteger(), nullable=False),
        sa.Column("igst", sa.BigInteger(), nullable=False),
        sa.Column("cess", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["hq_shops.id"]),
        sa.PrimaryKeyConstraint("shop_id", "note_id", "rate_bp"),
    )
    op.create_index("ix_hq_credit_note_tax_shop_day", "hq_credit_note_tax", ["shop_id", "day"])
    op.create_table(
        "hq_ledger",
        sa.Column("shop_id", sa.String(length=36), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["hq_shops.id"]),
        sa.PrimaryKeyConstraint("shop_id", "entry_id"),
    )
    op.create_index("ix_hq_ledger_shop_customer", "hq_ledger", ["shop_id", "customer_id"])
    op.create_table(
        "hq_customers",
        sa.Column("shop_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("phone_digits", sa.String(length=20), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["hq_shops.id"]),
        sa.PrimaryKeyConstraint("shop_id", "customer_id"),
    )
    op.create_index("ix_hq_customers_phone", "hq_customers", ["phone_digits"])
    op.create_table(
        "hq_stock",
        sa.Column("shop_id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("stock_milli", sa.BigInteger(), nullable=False),
        sa.Column("low_stock_milli", sa.BigInteger(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("is_service", sa.Boolean(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["hq_shops.id"]),
        sa.PrimaryKeyConstraint("shop_id", "product_id"),
    )
    op.create_index("ix_hq_stock_code", "hq_stock", ["code"])
    op.create_table(
        "hq_journal_lines",
        sa.Column("shop_id", sa.String(length=36), nullable=False),
        sa.Column("line_id", sa.String(length=64), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("debit", sa.BigInteger(), nullable=False),
        sa.Column("credit", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["hq_shops.id"]),
        sa.PrimaryKeyConstraint("shop_id", "line_id"),
    )
    op.create_index("ix_hq_journal_lines_shop_day", "hq_journal_lines", ["shop_id", "day"])
    op.create_table(
        "hq_audit",
        sa.Column("shop_id", sa.String(length=36), nullable=False),
        sa.Column("audit_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["hq_shops.id"]),
        sa.PrimaryKeyConstraint("shop_id", "audit_id"),
    )
    op.create_index("ix_hq_audit_created", "hq_audit", ["created_at"])


def downgrade():
    op.drop_table("hq_audit")
    op.drop_table("hq_journal_lines")
    op.drop_table("hq_stock")
    op.drop_table("hq_customers")
    op.drop_table("hq_ledger")
    op.drop_table("hq_credit_note_tax")
    op.drop_table("hq_credit_notes")
    op.drop_table("hq_invoice_tax")
    op.drop_table("hq_daily")
    op.drop_table("hq_invoices")
