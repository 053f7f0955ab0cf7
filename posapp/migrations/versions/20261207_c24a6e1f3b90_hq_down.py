"""HQ sync, the way down (issue 24): what HQ sends its shops, and transfers between shops.

- `hq_down`: one row per item HQ sends (a product, a shop's settings, a side of a transfer),
  to one shop or to every shop (`shop_id` NULL); `seq` orders them, and shops pull after
  the last seq they applied.
- `hq_transfers`: stock sent from one shop to another, numbered TR-000001.
- `hq_shops.pulled_seq`: the last seq each shop says it applied (shown at HQ).
- `hq_shops.shop_top_seq`: the highest changeset each shop held at its last push (what was
  waiting at the shop, shown at HQ).

Every database gets them (a shop's stay empty); only an app in HQ mode uses them.

Revision ID: c24a6e1f3b90
Revises: c24a6e1f3b80
Create Date: 2026-12-07 05:40:00.000000

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "c24a6e1f3b90"
down_revision = "c24a6e1f3b80"
branch_labels = None
depends_on = None

PAYLOAD = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    with op.batch_alter_table("hq_shops") as batch:
        batch.add_column(
            sa.Column("pulled_seq", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("shop_top_seq", sa.BigInteger(), nullable=False, server_default="0")
        )
    op.create_table(
        "hq_down",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("shop_id", sa.String(length=36), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("item_key", sa.String(length=64), nullable=False),
        sa.Column("payload", PAYLOAD, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["hq_shops.id"]),
        sa.PrimaryKeyConstraint("seq"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_hq_down_shop_id", "hq_down", ["shop_id"])
    op.create_index("ix_hq_down_kind_key", "hq_down", ["kind", "item_key"])
    op.create_table(
        "hq_transfers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("from_shop_id", sa.String(length=36), nullable=False),
        sa.Column("to_shop_id", sa.String(length=36), nullable=False),
        sa.Column("lines", PAYLOAD, nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["from_shop_id"], ["hq_shops.id"]),
        sa.ForeignKeyConstraint(["to_shop_id"], ["hq_shops.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index("ix_hq_transfers_from_shop_id", "hq_transfers", ["from_shop_id"])
    op.create_index("ix_hq_transfers_to_shop_id", "hq_transfers", ["to_shop_id"])
    op.create_index("ix_hq_transfers_created_at", "hq_transfers", ["created_at"])


def downgrade():
    # Dropping a table drops its indexes; MariaDB refuses to drop an index a foreign key
    # still needs (ix_hq_down_shop_id) on its own.
    op.drop_table("hq_transfers")
    op.drop_table("hq_down")
    with op.batch_alter_table("hq_shops") as batch:
        batch.drop_column("shop_top_seq")
        batch.drop_column("pulled_seq")
