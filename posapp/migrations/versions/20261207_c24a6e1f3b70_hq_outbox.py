"""The shop's outbox for HQ sync: one row per committed write transaction while enrolled.

AUTOINCREMENT on SQLite: acked rows are pruned, and a seq used once must never come back
(HQ skips a seq it already holds as a duplicate).

Revision ID: c24a6e1f3b70
Revises: b23d5f7a9c12
Create Date: 2026-12-07 03:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c24a6e1f3b70"
down_revision = "b23d5f7a9c12"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_outbox",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_sync_outbox_created_at", "sync_outbox", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_sync_outbox_created_at", table_name="sync_outbox")
    op.drop_table("sync_outbox")
