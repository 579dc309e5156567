"""Evidence photos: the synced ``evidence`` collection (issue 14, PROTOCOL §9)

Revision ID: 7e3a9c41d2b6
Revises: 5c1e0a7d9b42
Create Date: 2026-12-04 15:40:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '7e3a9c41d2b6'
down_revision = '5c1e0a7d9b42'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evidence',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('activity_id', sa.Uuid(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=16), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('caption', sa.String(length=200), nullable=False),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stored', sa.Boolean(), nullable=False),
    sa.Column('stored_key', sa.String(length=120), nullable=True),
    sa.Column('thumb_key', sa.String(length=120), nullable=True),
    sa.Column('stored_type', sa.String(length=16), nullable=True),
    sa.Column('stored_size', sa.Integer(), nullable=True),
    sa.Column('stored_width', sa.Integer(), nullable=True),
    sa.Column('stored_height', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('field_versions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('change_seq', sa.BigInteger(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('size > 0 AND width > 0 AND height > 0', name=op.f('ck_evidence_sizes_positive')),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_evidence_activity_id_activities')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_evidence_created_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_evidence_unit_id_units')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_evidence_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence'))
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_change_seq'), ['change_seq'], unique=False)
        batch_op.create_index('ix_evidence_unit_change', ['unit_id', 'change_seq'], unique=False)
        batch_op.create_index('ix_evidence_unit_sha256', ['unit_id', 'sha256'], unique=False)


def downgrade():
    op.drop_table('evidence')
