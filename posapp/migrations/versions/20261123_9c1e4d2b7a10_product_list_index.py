"""Product list index: (archived, name, id) so every page of the list is an index-only walk.

Revision ID: 9c1e4d2b7a10
Revises: 82d80b861156
Create Date: 2026-11-23 17:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '9c1e4d2b7a10'
down_revision = '82d80b861156'
branch_labels = None
depends_on = None


def upgrade():
    # A plain CREATE INDEX: no batch table rebuild, so the FTS5 triggers on products stay.
    op.create_index('ix_products_archived_name_id', 'products', ['archived', 'name', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_products_archived_name_id', table_name='products')
