"""Held bills (parked carts), plus the indexes the invoice list and invoice page read.

Revision ID: c7f55c0cc8aa
Revises: be0437abfcfa
Create Date: 2026-11-23 17:56:42.640206

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7f55c0cc8aa'
down_revision = 'be0437abfcfa'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('held_bills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=60), nullable=False),
    sa.Column('cart', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_held_bills_created_at', 'held_bills', ['created_at'], unique=False)
    op.create_index('ix_held_bills_user_id', 'held_bills', ['user_id'], unique=False)
    # Plain CREATE INDEX on existing tables: no batch rebuild (the audit log's rows stay as
    # they are, hash chain included).
    op.create_index('ix_audit_log_entity', 'audit_log', ['entity', 'entity_id'], unique=False)
    op.create_index('ix_payments_method_invoice', 'payments', ['method', 'invoice_id'], unique=False)


def downgrade():
    op.drop_index('ix_payments_method_invoice', table_name='payments')
    op.drop_index('ix_audit_log_entity', table_name='audit_log')
    op.drop_index('ix_held_bills_user_id', table_name='held_bills')
    op.drop_index('ix_held_bills_created_at', table_name='held_bills')
    op.drop_table('held_bills')
