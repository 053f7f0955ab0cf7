"""Users and security: a flag forcing a new password after an admin reset.

Revision ID: 2a43ded709ad
Revises: c7f55c0cc8aa
Create Date: 2026-11-23 17:34:30
"""

import sqlalchemy as sa
from alembic import op

revision = "2a43ded709ad"
down_revision = "c7f55c0cc8aa"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("must_change_password")
