"""Sync engine bookkeeping: devices' last mutation, the mutation log (with quarantined
payloads), conflicts, the tombstone purge mark, per-field versions of activities.

Revision ID: bb9c0e16e83f
Revises: 4628b65478db
Create Date: 2026-11-27 21:52:42.907842

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'bb9c0e16e83f'
down_revision = '4628b65478db'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sync_conflicts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('collection', sa.String(length=40), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=True),
    sa.Column('server_value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('client_value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('server_version', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('mutation_n', sa.BigInteger(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=64), nullable=True),
    sa.Column('resolution', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_conflicts'))
    )
    with op.batch_alter_table('sync_conflicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_conflicts_record_id'), ['record_id'], unique=False)

    op.create_table('sync_devices',
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('last_mutation', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('device_id', name=op.f('pk_sync_devices'))
    )
    op.create_table('sync_mutations',
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('n', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('payload_hash', sa.String(length=64), nullable=False),
    sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('collection', sa.String(length=40), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('device_id', 'n', name=op.f('pk_sync_mutations'))
    )
    with op.batch_alter_table('sync_mutations', schema=None) as batch_op:
        batch_op.create_index('ix_sync_mutations_record', ['device_id', 'record_id', 'version'], unique=False)
        batch_op.create_index('ix_sync_mutations_status', ['status', 'received_at'], unique=False)

    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at_suspect', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('field_versions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), server_default=sa.text("'{}'"), nullable=False))

    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purged_through', sa.BigInteger(), server_default='0', nullable=False))



def downgrade():
    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.drop_column('purged_through')

    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_column('field_versions')
        batch_op.drop_column('recorded_at_suspect')

    with op.batch_alter_table('sync_mutations', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_mutations_status')
        batch_op.drop_index('ix_sync_mutations_record')

    op.drop_table('sync_mutations')
    op.drop_table('sync_devices')
    with op.batch_alter_table('sync_conflicts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_conflicts_record_id'))

    op.drop_table('sync_conflicts')
