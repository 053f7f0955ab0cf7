"""HQ sync, the HQ side (issue 24): the shops enrolled at an HQ and the records they push.

- `hq_shops`: one row per shop made at HQ, with the hashes of its one-time enrolment code
  and of its credential, and its sync state (acked seq, last contact, clock skew).
- `hq_records`: the latest version of every record of every shop, keyed by
  (shop_id, kind, record_id); `payload` is JSONB on PostgreSQL, JSON elsewhere.

Every database gets the tables (a shop's stay empty); only an app in HQ mode uses them.

Revision ID: c24a6e1f3b80
Revises: c24a6e1f3b70
Create Date: 2026-12-07 03:00:00.000000

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "c24a6e1f3b80"
down_revision = "c24a6e1f3b70"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "hq_shops",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("enrolment_code_hash", sa.String(length=64), nullable=False),
        sa.Column("code_expires_at", sa.DateTime(), nullable=False),
        sa.Column("code_used_at", sa.DateTime(), nullable=True),
        sa.Column("credential_hash", sa.String(length=64), nullable=True),
        sa.Column("acked_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_contact", sa.DateTime(), nullable=True),
        sa.Column("shop_clock_skew_seconds", sa.BigInteger(), nullable=True),
        sa.Column("gstin", sa.String(length=15), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("credential_hash"),
        sa.UniqueConstraint("enrolment_code_hash"),
    )
    op.create_table(
        "hq_records",
        sa.Column("shop_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["hq_shops.id"]),
        sa.PrimaryKeyConstraint("shop_id", "kind", "record_id"),
    )


def downgrade():
    op.drop_table("hq_records")
    op.drop_table("hq_shops")
