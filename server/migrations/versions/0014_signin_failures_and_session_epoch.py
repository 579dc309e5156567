"""Sign-in failures shared by every server process; a session epoch per user

``signin_failures`` holds failed sign-ins for the throttle's window, so every worker and
every machine counts the same failures (decision 79). ``users.session_epoch`` ends a
person's dashboard sessions server-side on sign-out, a new password or deactivation
(decision 82): sessions made before this migration carry no epoch and sign in again once.

Based on 0012 (5d12c5d5d990); 0013 is another branch's and may come between at merge.

Revision ID: 2938c53d0883
Revises: 7c3e91a4d0b2
Create Date: 2026-12-04 10:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '2938c53d0883'
down_revision = '7c3e91a4d0b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('signin_failures',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signin_failures'))
    )
    with op.batch_alter_table('signin_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signin_failures_at'), ['at'], unique=False)
        batch_op.create_index('ix_signin_failures_key_at', ['key', 'at'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')

    with op.batch_alter_table('signin_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_signin_failures_key_at')
        batch_op.drop_index(batch_op.f('ix_signin_failures_at'))

    op.drop_table('signin_failures')
