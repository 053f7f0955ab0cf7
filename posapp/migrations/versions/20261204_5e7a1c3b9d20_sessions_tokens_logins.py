"""Sessions that end, tokens that expire, logins throttled per address.

`users.session_version` is copied into the session cookie at login and compared on every
request: logout, a password change or reset and deactivation bump it, so older cookies stop
working. `api_tokens.expires_at` (NULL: never) and `api_tokens.sliding` (login tokens, whose
expiry moves on with use). `login_attempts` keeps failed logins by (username, address) and
replaces the per-user lockout (`users.failed_logins`, `users.locked_until`), which let anyone
lock a user out. Two-step login: `users.totp_secret` (set while enrolling, kept once
`totp_enabled`), `users.totp_last_step` (a code is accepted once) and `users.recovery_codes`
(SHA-256 hashes of the unused printed codes, as JSON).

Revision ID: 5e7a1c3b9d20
Revises: d41f0c2e9b77
Create Date: 2026-12-04 18:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e7a1c3b9d20'
down_revision = 'd41f0c2e9b77'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_version', sa.Integer(), nullable=False, server_default='0')
        )
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('locked_until')
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column('totp_enabled', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('recovery_codes', sa.Text(), nullable=True))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column('sliding', sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Tokens from API logins so far never expired: give them the default 30 days from now.
    now = sa.func.current_timestamp()
    api_tokens = sa.table(
        'api_tokens',
        sa.column('name', sa.String),
        sa.column('expires_at', sa.DateTime),
        sa.column('sliding', sa.Boolean),
        sa.column('revoked', sa.Boolean),
    )
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        expires = sa.func.datetime(now, '+30 days')
    elif bind.dialect.name == 'postgresql':
        expires = now + sa.text("interval '30 days'")
    else:
        expires = sa.func.date_add(now, sa.text('INTERVAL 30 DAY'))
    op.execute(
        api_tokens.update()
        .where(api_tokens.c.name == 'login', api_tokens.c.revoked == sa.false())
        .values(expires_at=expires, sliding=True)
    )
    op.create_table(
        'login_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index(
            'ix_login_attempts_address', ['address', 'created_at'], unique=False
        )
        batch_op.create_index(
            'ix_login_attempts_user_address', ['username', 'address', 'created_at'], unique=False
        )
        batch_op.create_index('ix_login_attempts_created_at', ['created_at'], unique=False)


def downgrade():
    op.drop_table('login_attempts')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('sliding')
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('locked_until', sa.DateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0')
        )
        batch_op.drop_column('session_version')
        batch_op.drop_column('recovery_codes')
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled')
        batch_op.drop_column('totp_secret')
