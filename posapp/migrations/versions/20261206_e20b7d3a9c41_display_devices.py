"""Customer displays (issue 20): the `display_devices` table.

One row per paired customer display: its name, the SHA-256 of its token (unique), the till
(user) it mirrors, when it was paired and last seen, and when it was revoked (NULL: live).
A new table only, so no batch rebuild of anything that exists.

Revision ID: e20b7d3a9c41
Revises: e20b7a3c5d91
Create Date: 2026-12-06 02:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e20b7d3a9c41"
down_revision = "e20b7a3c5d91"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "display_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_display_devices_user_id", "display_devices", ["user_id"], unique=False)


def downgrade():
    # Dropping the table drops its index with it; MariaDB refuses to drop the index alone while
    # the foreign key on user_id needs it.
    op.drop_table("display_devices")
