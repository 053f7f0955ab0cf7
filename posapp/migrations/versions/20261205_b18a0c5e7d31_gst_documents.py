"""GST documents: tax heads per line, place of supply, issued snapshots, GSTINs on customers
and supplier bills, and input tax on purchase lines.

Lines issued before this revision get their CGST/SGST halves from the rule they were printed
with (the odd paisa to CGST) and `tax_rule` 1 on their invoice/credit note, so a reprint shows
what was issued; new documents are written with tax_rule 2 (equal halves, stored per line).
Plain ADD COLUMN (no batch rebuild of the two biggest tables).

Revision ID: b18a0c5e7d31
Revises: a7c3e91d5b20
Create Date: 2026-12-05 13:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b18a0c5e7d31"
down_revision = "a7c3e91d5b20"
branch_labels = None
depends_on = None

HEADS = ("cgst", "sgst", "igst", "cess")
OLD_REPORT = [
    "invoice_id", "tax_rate_bp", "product_id", "qty_milli", "total", "taxable", "tax",
    "unit_cost", "hsn", "unit",
]  # fmt: skip
NEW_REPORT = [*OLD_REPORT, "cgst", "sgst", "igst"]


def _money(name):
    return sa.Column(name, sa.BigInteger(), nullable=False, server_default="0")


def _document_columns(table):
    op.add_column(
        table,
        sa.Column("tax_split", sa.String(10), nullable=False, server_default="cgst_sgst"),
    )
    op.add_column(
        table, sa.Column("place_of_supply", sa.String(2), nullable=False, server_default="")
    )
    op.add_column(table, sa.Column("tax_rule", sa.Integer(), nullable=False, server_default="1"))
    op.add_column(table, sa.Column("issued_as", sa.Text(), nullable=True))


def upgrade():
    bind = op.get_bind()
    half = "tax DIV 2" if bind.dialect.name == "mysql" else "tax / 2"
    for table in ("invoices", "credit_notes"):
        _document_columns(table)
    for table in ("invoice_lines", "credit_note_lines"):
        for head in HEADS:
            op.add_column(table, _money(head))
        # Issued rows were never negative; integer division floors, as the old rule did.
        op.execute(f"UPDATE {table} SET sgst = {half}")
        op.execute(f"UPDATE {table} SET cgst = tax - sgst")
    # The report index carries the heads too; MySQL needs an index on invoice_id for the
    # foreign key while the old one is replaced.
    op.create_index("ix_invoice_lines_invoice_tmp", "invoice_lines", ["invoice_id"])
    op.drop_index("ix_invoice_lines_report", table_name="invoice_lines")
    op.create_index("ix_invoice_lines_report", "invoice_lines", NEW_REPORT)
    op.drop_index("ix_invoice_lines_invoice_tmp", table_name="invoice_lines")

    op.add_column(
        "customers", sa.Column("gstin", sa.String(15), nullable=False, server_default="")
    )
    op.add_column(
        "customers", sa.Column("legal_name", sa.String(120), nullable=False, server_default="")
    )
    op.add_column(
        "customers", sa.Column("state_code", sa.String(2), nullable=False, server_default="")
    )
    op.create_index("ix_customers_gstin", "customers", ["gstin"])

    op.add_column(
        "purchases", sa.Column("supplier_gstin", sa.String(15), nullable=False, server_default="")
    )
    op.add_column(
        "purchases", sa.Column("supplier_state", sa.String(2), nullable=False, server_default="")
    )
    op.add_column("purchases", sa.Column("bill_date", sa.Date(), nullable=True))
    op.add_column(
        "purchase_lines",
        sa.Column("tax_rate_bp", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("purchase_lines", _money("taxable"))
    for head in HEADS:
        op.add_column("purchase_lines", _money(head))


def downgrade():
    for head in (*HEADS, "taxable", "tax_rate_bp"):
        with op.batch_alter_table("purchase_lines") as batch_op:
            batch_op.drop_column(head)
    with op.batch_alter_table("purchases") as batch_op:
        for column in ("bill_date", "supplier_state", "supplier_gstin"):
            batch_op.drop_column(column)
    op.drop_index("ix_customers_gstin", table_name="customers")
    with op.batch_alter_table("customers") as batch_op:
        for column in ("state_code", "legal_name", "gstin"):
            batch_op.drop_column(column)
    op.create_index("ix_invoice_lines_invoice_tmp", "invoice_lines", ["invoice_id"])
    op.drop_index("ix_invoice_lines_report", table_name="invoice_lines")
    op.create_index("ix_invoice_lines_report", "invoice_lines", OLD_REPORT)
    op.drop_index("ix_invoice_lines_invoice_tmp", table_name="invoice_lines")
    for table in ("invoice_lines", "credit_note_lines"):
        with op.batch_alter_table(table) as batch_op:
            for head in HEADS:
                batch_op.drop_column(head)
    for table in ("invoices", "credit_notes"):
        with op.batch_alter_table(table) as batch_op:
            for column in ("issued_as", "tax_rule", "place_of_supply", "tax_split"):
                batch_op.drop_column(column)
