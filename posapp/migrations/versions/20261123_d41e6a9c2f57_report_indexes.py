"""Report indexes: covering indexes for the line reports and the invoices' time range.

`ix_invoice_lines_report` (invoice_id first) replaces `ix_invoice_lines_invoice_id`, and
`ix_invoices_created_at_status` replaces `ix_invoices_created_at`: each new index starts with
the old one's column, so every query the old one served is served as well, and a sale still
updates only one index per table for them.

Revision ID: d41e6a9c2f57
Revises: 3244b14d19ca
Create Date: 2026-11-23 19:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd41e6a9c2f57'
down_revision = '3244b14d19ca'
branch_labels = None
depends_on = None

REPORT_COLUMNS = [
    'invoice_id', 'tax_rate_bp', 'product_id', 'qty_milli', 'total', 'taxable', 'tax',
    'unit_cost', 'hsn', 'unit',
]


def upgrade():
    # Plain CREATE/DROP INDEX: no batch table rebuild of the two biggest tables.
    op.create_index('ix_invoice_lines_report', 'invoice_lines', REPORT_COLUMNS, unique=False)
    op.drop_index('ix_invoice_lines_invoice_id', table_name='invoice_lines')
    op.create_index(
        'ix_invoices_created_at_status', 'invoices', ['created_at', 'status'], unique=False
    )
    op.drop_index('ix_invoices_created_at', table_name='invoices')
    # Fresh statistics so the planners pick the new covering indexes straight away;
    # MySQL/MariaDB spell it ANALYZE TABLE.
    table_word = 'TABLE ' if op.get_bind().dialect.name == 'mysql' else ''
    op.execute(f'ANALYZE {table_word}invoice_lines')
    op.execute(f'ANALYZE {table_word}invoices')


def downgrade():
    op.create_index('ix_invoices_created_at', 'invoices', ['created_at'], unique=False)
    op.drop_index('ix_invoices_created_at_status', table_name='invoices')
    op.create_index('ix_invoice_lines_invoice_id', 'invoice_lines', ['invoice_id'], unique=False)
    op.drop_index('ix_invoice_lines_report', table_name='invoice_lines')
