"""Cursors that survive a tombstone purge and notice a restore from a backup

``sync_state.purge_generation`` counts the purges that moved the deletion horizon, so a
cursor handed out after a purge stays good below it (decision 90). ``sync_change_tokens``
holds a random token per numbering of changes, so a cursor that points at a change number
handed out again after a restore is told to resync (decision 91). History from before this
migration is one numbering with one token.

Revision ID: 5c1e0a7d9b42
Revises: 2938c53d0883
Create Date: 2026-12-04 12:40:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '5c1e0a7d9b42'
down_revision = '2938c53d0883'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sync_change_tokens',
    sa.Column('upto', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('first', sa.BigInteger(), nullable=False),
    sa.Column('token', sa.String(length=8), nullable=False),
    sa.PrimaryKeyConstraint('upto', name=op.f('pk_sync_change_tokens'))
    )
    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purge_generation', sa.Integer(), server_default='0', nullable=False))

    conn = op.get_bind()
    last = conn.execute(sa.text('SELECT last_change FROM sync_state WHERE id = 1')).scalar()
    if last:
        conn.execute(
            sa.text('INSERT INTO sync_change_tokens (upto, first, token) VALUES (:upto, 1, :token)'),
            {'upto': last, 'token': secrets.token_hex(3)},
        )


def downgrade():
    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.drop_column('purge_generation')

    op.drop_table('sync_change_tokens')
