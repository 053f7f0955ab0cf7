"""The writer lock row (MariaDB serialises write transactions on it).

Revision ID: d41f0c2e9b77
Revises: d41e6a9c2f57
Create Date: 2026-11-23 19:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd41f0c2e9b77'
down_revision = 'd41e6a9c2f57'
branch_labels = None
depends_on = None


def upgrade():
    writer_lock = op.create_table('writer_lock',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.bulk_insert(writer_lock, [{'id': 1}])


def downgrade():
    op.drop_table('writer_lock')
