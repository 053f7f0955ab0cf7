"""The books (issue 21): chart of accounts, journal entries and lines, per-day account totals,
and each product's book value (`products.stock_value`).

The standard chart is inserted here as it stood when the books arrived (later changes to the
chart come as their own migrations; services/books.py ensure_chart adds any a database
lacks). `stock_value` starts at stock × moving average cost, rounded half up per product: the
inventory the books open with. The shop's history is posted by the app after the upgrade
(services/books_history.py), not here: it needs the posting rules of today's code.
New tables and one plain added column, so no batch rebuild of `products` (its FTS triggers).

Revision ID: f21c3d5e7a90
Revises: e21a4b7c9d30
Create Date: 2026-12-06 06:00:00.000000

"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f21c3d5e7a90"
down_revision = "e21a4b7c9d30"
branch_labels = None
depends_on = None

CHART = (
    ("1100", "Cash in drawer", "cash", "cash", ""),
    ("1200", "Bank", "bank", "bank", "card,upi,bank"),
    ("1300", "Receivables (customers' khata)", "receivable", "receivable", ""),
    ("1400", "Inventory (stock)", "inventory", "inventory", ""),
    ("1510", "Input CGST", "asset", "input_cgst", ""),
    ("1520", "Input SGST", "asset", "input_sgst", ""),
    ("1530", "Input IGST", "asset", "input_igst", ""),
    ("1540", "Input cess", "asset", "input_cess", ""),
    ("2100", "Payables (suppliers' khata)", "payable", "payable", ""),
    ("2210", "Output CGST", "liability", "output_cgst", ""),
    ("2220", "Output SGST", "liability", "output_sgst", ""),
    ("2230", "Output IGST", "liability", "output_igst", ""),
    ("2240", "Output cess", "liability", "output_cess", ""),
    ("3100", "Owner's capital", "equity", "capital", ""),
    ("3200", "Owner's drawings", "equity", "drawings", ""),
    ("3300", "Opening balances", "equity", "opening", ""),
    ("4100", "Sales", "income", "sales", ""),
    ("4200", "Sales returns", "income", "sales_returns", ""),
    ("4300", "Round-off", "income", "round_off", ""),
    ("4400", "Cash over/short", "income", "over_short", ""),
    ("5100", "Cost of goods sold", "expense", "cogs", ""),
    ("5200", "Discounts allowed", "expense", "discounts", ""),
    ("5300", "Stock loss and damage", "expense", "stock_loss", ""),
    ("5310", "Stock count differences", "expense", "stock_count", ""),
    ("5320", "Stock revaluation", "expense", "stock_revaluation", ""),
    ("5400", "GST not claimable (bills without GSTIN)", "expense", "unclaimed_tax", ""),
    ("6100", "Rent", "expense", "expense_rent", ""),
    ("6200", "Wages and salaries", "expense", "expense_salaries", ""),
    ("6300", "Electricity", "expense", "expense_electricity", ""),
    ("6400", "Transport", "expense", "expense_transport", ""),
    ("6500", "Repairs", "expense", "expense_repairs", ""),
    ("6600", "Shop supplies", "expense", "expense_supplies", ""),
    ("6900", "Other expenses", "expense", "expense_other", ""),
)


def upgrade():
    accounts = op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("system_key", sa.String(length=32), nullable=True),
        sa.Column("methods", sa.String(length=40), server_default="", nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("system_key"),
    )
    op.create_table(
        "journal_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("source_kind", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("narration", sa.String(length=300), nullable=False),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("cash_session_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["cash_session_id"], ["cash_sessions.id"]),
        sa.ForeignKeyConstraint(["reverses_id"], ["journal_entries.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_journal_entries_source", "journal_entries", ["source_kind", "source_id"])
    op.create_index("ix_journal_entries_day", "journal_entries", ["day", "id"])
    op.create_index("ix_journal_entries_reverses_id", "journal_entries", ["reverses_id"])
    op.create_index("ix_journal_entries_cash_session_id", "journal_entries", ["cash_session_id"])
    op.create_table(
        "journal_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("debit", sa.BigInteger(), nullable=False),
        sa.Column("credit", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.ForeignKeyConstraint(["entry_id"], ["journal_entries.id"]),
        sa.ForeignKeyConstraint(["supplier_id"], ["suppliers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_journal_lines_entry_id", "journal_lines", ["entry_id"])
    op.create_index("ix_journal_lines_account", "journal_lines", ["account_id", "entry_id"])
    op.create_index("ix_journal_lines_customer", "journal_lines", ["customer_id"])
    op.create_index("ix_journal_lines_supplier", "journal_lines", ["supplier_id"])
    op.create_table(
        "account_days",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("debit", sa.BigInteger(), nullable=False),
        sa.Column("credit", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("account_id", "day"),
    )
    op.add_column(
        "products",
        sa.Column("stock_value", sa.BigInteger(), server_default="0", nullable=False),
    )
    now = datetime.utcnow()
    op.bulk_insert(
        accounts,
        [
            {
                "code": code,
                "name": name,
                "kind": kind,
                "system_key": key,
                "methods": methods,
                "archived": False,
                "created_at": now,
                "parent_id": None,
            }
            for code, name, kind, key, methods in CHART
        ],
    )
    # Computed here rather than in SQL: the three databases divide integers differently.
    bind = op.get_bind()
    products = sa.table(
        "products",
        sa.column("id", sa.Integer()),
        sa.column("stock_milli", sa.BigInteger()),
        sa.column("cost", sa.BigInteger()),
        sa.column("stock_value", sa.BigInteger()),
    )
    values = [
        {"pid": pid, "v": _half_up(stock * cost)}
        for pid, stock, cost in bind.execute(
            sa.select(products.c.id, products.c.stock_milli, products.c.cost)
        )
        if stock * cost
    ]
    if values:
        bind.execute(
            products.update()
            .where(products.c.id == sa.bindparam("pid"))
            .values(stock_value=sa.bindparam("v")),
            values,
        )


def _half_up(milli_paise: int) -> int:
    """milli-paise → paise, halves away from zero (services/books.py issue_value)."""
    sign = -1 if milli_paise < 0 else 1
    return sign * ((2 * abs(milli_paise) + 1000) // 2000)


def downgrade():
    # Without the books, "opened" no longer holds: upgrading again posts the history again.
    op.execute(
        "DELETE FROM settings WHERE "
        + op.get_bind().dialect.identifier_preparer.quote("key")
        + " = 'books_opened'"
    )
    op.drop_column("products", "stock_value")
    op.drop_table("account_days")
    op.drop_table("journal_lines")
    op.drop_table("journal_entries")
    op.drop_table("accounts")
