"""A keyed hash (HMAC-SHA256) beside each audit entry's plain hash.

Existing rows keep their plain hash chain and get no keyed hash (NULL): the key lives in the
data folder, not in the database, and a migration cannot know that every old row is genuine.
Keyed hashes start with the first entry written after this migration.

Revision ID: a7c3e91d5b20
Revises: 5e7a1c3b9d20
Create Date: 2026-12-04 18:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7c3e91d5b20"
down_revision = "5e7a1c3b9d20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_log") as batch_op:
        batch_op.add_column(sa.Column("mac", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("audit_log") as batch_op:
        batch_op.drop_column("mac")
