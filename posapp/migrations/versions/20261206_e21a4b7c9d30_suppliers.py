"""Suppliers and their khata (issue 21): suppliers, supplier payments and their allocations,
payment terms on purchases, and purchase returns (debit notes).

- `suppliers`, `supplier_payments`, `supplier_allocations` (new tables).
- `purchases.supplier_id` (nullable FK), `payable` (the bill with tax), `paid_now` and
  `paid_method` (paid when the stock came in), `paid` (so far), `returned` (debit notes),
  `due_date`.
- `debit_notes`, `debit_note_lines` (new tables): goods sent back against a bill.

Existing purchases were booked as cash purchases: each becomes paid in full at receipt
(`paid_now = paid = payable`, method cash), so no supplier suddenly owes or is owed money.
One supplier is made for each distinct non-empty supplier name (compared without case or
surrounding spaces; the first spelling wins, with the latest GSTIN and state typed for it),
and its purchases are linked to it.

The new purchase columns are plain ADD COLUMNs with server defaults (no batch rebuild). SQLite
cannot add a foreign key constraint to an existing table, so there the REFERENCES clause is
written inline in the ADD COLUMN, which SQLite accepts for a column that defaults to NULL.

Revision ID: e21a4b7c9d30
Revises: e20b7d3a9c41
Create Date: 2026-12-06 03:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e21a4b7c9d30"
down_revision = "e20b7d3a9c41"
branch_labels = None
depends_on = None

CHUNK = 500


def _money(name):
    return sa.Column(name, sa.BigInteger(), nullable=False, server_default="0")


def _make_suppliers(bind):
    """One supplier per distinct purchase supplier name; link the purchases to it."""
    rows = bind.execute(
        sa.text(
            "SELECT id, supplier, supplier_gstin, supplier_state FROM purchases "
            "WHERE supplier <> '' ORDER BY id"
        )
    ).all()
    found = {}
    for purchase_id, name, gstin, state in rows:
        key = (name or "").strip().lower()
        if not key:
            continue
        entry = found.setdefault(
            key, {"name": name.strip()[:120], "gstin": "", "state": "", "ids": []}
        )
        if gstin:
            entry["gstin"], entry["state"] = gstin, state or ""
        elif state and not entry["gstin"]:
            entry["state"] = state
        entry["ids"].append(purchase_id)
    # A Table with its primary key, so the insert hands back the new id on every database.
    suppliers = sa.Table(
        "suppliers",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String),
        sa.Column("phone", sa.String),
        sa.Column("gstin", sa.String),
        sa.Column("state_code", sa.String),
        sa.Column("address", sa.String),
        sa.Column("credit_days", sa.Integer),
        sa.Column("opening_balance", sa.BigInteger),
        sa.Column("archived", sa.Boolean),
        sa.Column("created_at", sa.DateTime),
        sa.Column("updated_at", sa.DateTime),
    )
    # Typed, so SQLite hands back a datetime rather than its stored text.
    purchases = sa.table("purchases", sa.column("created_at", sa.DateTime))
    now = bind.execute(sa.select(sa.func.min(purchases.c.created_at))).scalar()
    for entry in found.values():
        # inserted_primary_key: RETURNING on PostgreSQL, the last row id elsewhere.
        new_id = bind.execute(
            suppliers.insert().values(
                name=entry["name"],
                phone="",
                gstin=entry["gstin"],
                state_code=entry["state"],
                address="",
                credit_days=0,
                opening_balance=0,
                archived=False,
                created_at=now,
                updated_at=now,
            )
        ).inserted_primary_key[0]
        ids = entry["ids"]
        for start in range(0, len(ids), CHUNK):
            bind.execute(
                sa.text("UPDATE purchases SET supplier_id = :sid WHERE id IN :ids").bindparams(
                    sa.bindparam("ids", expanding=True)
                ),
                {"sid": new_id, "ids": ids[start : start + CHUNK]},
            )


def upgrade():
    op.create_table(
        "suppliers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("gstin", sa.String(length=15), nullable=False),
        sa.Column("state_code", sa.String(length=2), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("credit_days", sa.Integer(), nullable=False),
        sa.Column("opening_balance", sa.BigInteger(), nullable=False),
        sa.Column("opening_date", sa.Date(), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("opening_balance >= 0", name="ck_suppliers_opening_balance"),
        sa.CheckConstraint("credit_days BETWEEN 0 AND 365", name="ck_suppliers_credit_days"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_suppliers_name", "suppliers", ["name"])
    op.create_index("ix_suppliers_gstin", "suppliers", ["gstin"])
    op.create_index("ix_suppliers_archived", "suppliers", ["archived"])

    op.create_table(
        "supplier_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_supplier_payments_amount"),
        sa.CheckConstraint("method IN ('cash', 'bank', 'upi')", name="ck_supplier_payments_method"),
        sa.ForeignKeyConstraint(["supplier_id"], ["suppliers.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_supplier_payments_supplier_id", "supplier_payments", ["supplier_id"])

    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column(
        "purchases",
        sa.Column("supplier_id", sa.Integer(), sa.ForeignKey("suppliers.id"), nullable=True),
        inline_references=sqlite or None,
    )
    op.create_index("ix_purchases_supplier_id", "purchases", ["supplier_id"])
    for name in ("payable", "paid_now", "paid"):
        op.add_column("purchases", _money(name))
    op.add_column(
        "purchases", sa.Column("paid_method", sa.String(8), nullable=False, server_default="")
    )
    op.add_column("purchases", sa.Column("due_date", sa.Date(), nullable=True))

    op.create_table(
        "supplier_allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("purchase_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_supplier_allocations_amount"),
        sa.ForeignKeyConstraint(["payment_id"], ["supplier_payments.id"]),
        sa.ForeignKeyConstraint(["purchase_id"], ["purchases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_supplier_allocations_payment_id", "supplier_allocations", ["payment_id"])
    op.create_index("ix_supplier_allocations_purchase_id", "supplier_allocations", ["purchase_id"])

    op.add_column("purchases", _money("returned"))
    op.create_table(
        "debit_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("purchase_id", sa.Integer(), nullable=False),
        sa.Column("returned_on", sa.Date(), nullable=False),
        sa.Column("taxable", sa.BigInteger(), nullable=False),
        sa.Column("cgst", sa.BigInteger(), nullable=False),
        sa.Column("sgst", sa.BigInteger(), nullable=False),
        sa.Column("igst", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_debit_notes_amount"),
        sa.ForeignKeyConstraint(["supplier_id"], ["suppliers.id"]),
        sa.ForeignKeyConstraint(["purchase_id"], ["purchases.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index("ix_debit_notes_supplier_id", "debit_notes", ["supplier_id"])
    op.create_index("ix_debit_notes_purchase_id", "debit_notes", ["purchase_id"])
    op.create_table(
        "debit_note_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("debit_note_id", sa.Integer(), nullable=False),
        sa.Column("purchase_line_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("qty_milli", sa.BigInteger(), nullable=False),
        sa.Column("unit_cost", sa.BigInteger(), nullable=False),
        sa.Column("taxable", sa.BigInteger(), nullable=False),
        sa.Column("cgst", sa.BigInteger(), nullable=False),
        sa.Column("sgst", sa.BigInteger(), nullable=False),
        sa.Column("igst", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("qty_milli > 0", name="ck_debit_note_lines_qty"),
        sa.ForeignKeyConstraint(["debit_note_id"], ["debit_notes.id"]),
        sa.ForeignKeyConstraint(["purchase_line_id"], ["purchase_lines.id"]),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("debit_note_id", "purchase_line_id", "product_id"):
        op.create_index(f"ix_debit_note_lines_{column}", "debit_note_lines", [column])

    bind = op.get_bind()
    # Two statements: MariaDB applies SET assignments left to right with the new values,
    # PostgreSQL with the old ones.
    op.execute(
        "UPDATE purchases SET payable = total + COALESCE((SELECT SUM(pl.cgst + pl.sgst + "
        "pl.igst + pl.cess) FROM purchase_lines pl WHERE pl.purchase_id = purchases.id), 0)"
    )
    op.execute("UPDATE purchases SET paid_now = payable, paid_method = 'cash'")
    op.execute("UPDATE purchases SET paid = paid_now")
    _make_suppliers(bind)


def downgrade():
    op.drop_table("debit_note_lines")
    op.drop_table("debit_notes")
    op.drop_table("supplier_allocations")
    if op.get_bind().dialect.name != "sqlite":
        # The foreign key's generated name differs per database; find it to drop it. First:
        # MariaDB will not drop an index a foreign key uses.
        inspector = sa.inspect(op.get_bind())
        for fk in inspector.get_foreign_keys("purchases"):
            if fk["constrained_columns"] == ["supplier_id"] and fk.get("name"):
                op.drop_constraint(fk["name"], "purchases", type_="foreignkey")
    op.drop_index("ix_purchases_supplier_id", table_name="purchases")
    for name in ("returned", "due_date", "paid_method", "paid", "paid_now", "payable"):
        op.drop_column("purchases", name)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite will not drop a column a foreign key uses; purchases has no triggers to lose.
        with op.batch_alter_table("purchases") as batch_op:
            batch_op.drop_column("supplier_id")
    else:
        op.drop_column("purchases", "supplier_id")
    op.drop_table("supplier_payments")
    op.drop_index("ix_suppliers_archived", table_name="suppliers")
    op.drop_index("ix_suppliers_gstin", table_name="suppliers")
    op.drop_index("ix_suppliers_name", table_name="suppliers")
    op.drop_table("suppliers")
