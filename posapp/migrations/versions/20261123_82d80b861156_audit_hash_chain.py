"""Audit hash chain: every audit entry carries a hash chained to the previous one.

Revision ID: 82d80b861156
Revises: eb583cc362eb
Create Date: 2026-11-23 17:28:00.958289

"""

import sqlalchemy as sa
from alembic import op

from posapp.services.audit import GENESIS, entry_hash

# revision identifiers, used by Alembic.
revision = "82d80b861156"
down_revision = "eb583cc362eb"
branch_labels = None
depends_on = None

audit_log = sa.table(
    "audit_log",
    sa.column("id", sa.Integer),
    sa.column("created_at", sa.DateTime),
    sa.column("user_id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("entity", sa.String),
    sa.column("entity_id", sa.Integer),
    sa.column("before", sa.Text),
    sa.column("after", sa.Text),
    sa.column("hash", sa.String),
)


def upgrade():
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hash", sa.String(length=64), nullable=False, server_default="")
        )
    # Chain the entries written before this version, oldest first.
    bind = op.get_bind()
    previous = GENESIS
    for row in bind.execute(sa.select(audit_log).order_by(audit_log.c.id)).all():
        previous = entry_hash(previous, row)
        bind.execute(
            audit_log.update().where(audit_log.c.id == row.id).values(hash=previous)
        )


def downgrade():
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("hash")
