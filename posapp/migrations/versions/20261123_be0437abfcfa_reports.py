"""Reports: the daily sales summary (backfilled from existing invoices) and expenses.

Revision ID: be0437abfcfa
Revises: 68e8bf2a33e5
Create Date: 2026-11-23 17:35:11

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'be0437abfcfa'
down_revision = '68e8bf2a33e5'
branch_labels = None
depends_on = None

FIGURES = ('invoices', 'sales', 'net', 'tax', 'discount', 'cost', 'cash', 'card', 'upi', 'credit')

# The same figures as services.summaries.computed, in plain SQL (the models may change later).
BACKFILL = """
SELECT i.created_at, i.total, i.tax_total, i.discount_total,
       COALESCE((SELECT SUM(l.taxable) FROM invoice_lines l WHERE l.invoice_id = i.id), 0),
       COALESCE((SELECT SUM((l.qty_milli * l.unit_cost + 500) / 1000)
                 FROM invoice_lines l WHERE l.invoice_id = i.id), 0),
       COALESCE((SELECT SUM(p.amount) FROM payments p WHERE p.invoice_id = i.id
                 AND p.method = 'cash' AND p.created_at <= i.created_at), 0),
       COALESCE((SELECT SUM(p.amount) FROM payments p WHERE p.invoice_id = i.id
                 AND p.method = 'card' AND p.created_at <= i.created_at), 0),
       COALESCE((SELECT SUM(p.amount) FROM payments p WHERE p.invoice_id = i.id
                 AND p.method = 'upi' AND p.created_at <= i.created_at), 0)
FROM invoices i WHERE i.status != 'void'
"""


def upgrade():
    daily = op.create_table('daily_sales',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('invoices', sa.Integer(), nullable=False),
    sa.Column('sales', sa.BigInteger(), nullable=False),
    sa.Column('net', sa.BigInteger(), nullable=False),
    sa.Column('tax', sa.BigInteger(), nullable=False),
    sa.Column('discount', sa.BigInteger(), nullable=False),
    sa.Column('cost', sa.BigInteger(), nullable=False),
    sa.Column('cash', sa.BigInteger(), nullable=False),
    sa.Column('card', sa.BigInteger(), nullable=False),
    sa.Column('upi', sa.BigInteger(), nullable=False),
    sa.Column('credit', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day')
    )
    op.create_table('expenses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_expenses_day', 'expenses', ['day'], unique=False)

    days = {}
    for created, total, tax, discount, net, cost, cash, card, upi in op.get_bind().execute(
        sa.text(BACKFILL)
    ):
        if isinstance(created, str):
            created = datetime.fromisoformat(created)
        day = created.replace(tzinfo=UTC).astimezone().date()  # the shop's local day
        row = days.setdefault(day, dict.fromkeys(FIGURES, 0))
        for name, value in zip(
            FIGURES,
            (1, total, net, tax, discount, cost, cash, card, upi, total - cash - card - upi),
            strict=True,
        ):
            row[name] += int(value)
    if days:
        op.bulk_insert(daily, [{'day': day, **row} for day, row in sorted(days.items())])


def downgrade():
    op.drop_index('ix_expenses_day', table_name='expenses')
    op.drop_table('expenses')
    op.drop_table('daily_sales')
