"""Cash sessions (shifts) and pay-ins/outs; sales, payments and credit notes name their session.

Revision ID: 3244b14d19ca
Revises: 2a43ded709ad
Create Date: 2026-11-23 18:22:39.916542

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3244b14d19ca'
down_revision = '2a43ded709ad'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cash_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=False),
    sa.Column('opening_float', sa.BigInteger(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('counted', sa.BigInteger(), nullable=True),
    sa.Column('denominations', sa.Text(), nullable=True),
    sa.Column('expected', sa.BigInteger(), nullable=True),
    sa.Column('over_short', sa.BigInteger(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.CheckConstraint('opening_float >= 0', name='ck_cash_sessions_float'),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('cash_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cash_sessions_opened_at'), ['opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cash_sessions_user_id'), ['user_id'], unique=False)
        if op.get_bind().dialect.name != 'mysql':
            batch_op.create_index('uq_cash_sessions_open_user', ['user_id'], unique=True, sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))
    if op.get_bind().dialect.name == 'mysql':
        # MariaDB has no partial indexes: one open session per user through a stored generated
        # column that is NULL once the session is closed (NULLs never collide).
        op.execute(
            "ALTER TABLE cash_sessions ADD COLUMN open_user_id INTEGER "
            "AS (CASE WHEN closed_at IS NULL THEN user_id END) STORED"
        )
        op.create_index('uq_cash_sessions_open_user', 'cash_sessions', ['open_user_id'], unique=True)

    op.create_table('cash_movements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cash_session_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('pay_in', 'pay_out')", name='ck_cash_movements_kind'),
    sa.CheckConstraint('amount > 0', name='ck_cash_movements_amount'),
    sa.ForeignKeyConstraint(['cash_session_id'], ['cash_sessions.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('cash_movements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cash_movements_cash_session_id'), ['cash_session_id'], unique=False)

    # Plain ADD COLUMN ... REFERENCES (no batch rebuild of the big tables: their rows,
    # triggers and dependants stay as they are). Alembic will not add a foreign key to an
    # SQLite table, but SQLite itself accepts one on a new nullable column.
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in ("credit_notes", "invoices", "payments"):
        fk = f"fk_{table}_cash_session_id"
        if sqlite:
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN cash_session_id INTEGER "
                f"CONSTRAINT {fk} REFERENCES cash_sessions (id)"
            )
        else:
            op.add_column(table, sa.Column("cash_session_id", sa.Integer(), nullable=True))
            op.create_foreign_key(fk, table, "cash_sessions", ["cash_session_id"], ["id"])
        op.create_index(f"ix_{table}_cash_session_id", table, ["cash_session_id"], unique=False)



def downgrade():
    for table in ("payments", "invoices", "credit_notes"):
        op.drop_index(f"ix_{table}_cash_session_id", table_name=table)
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("cash_session_id")

    with op.batch_alter_table('cash_movements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cash_movements_cash_session_id'))

    op.drop_table('cash_movements')
    if op.get_bind().dialect.name == 'mysql':
        op.drop_index('uq_cash_sessions_open_user', table_name='cash_sessions')
    with op.batch_alter_table('cash_sessions', schema=None) as batch_op:
        if op.get_bind().dialect.name != 'mysql':
            batch_op.drop_index('uq_cash_sessions_open_user', sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_cash_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_cash_sessions_opened_at'))

    op.drop_table('cash_sessions')
