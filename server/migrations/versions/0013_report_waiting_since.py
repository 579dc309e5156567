"""Report deltas and dirty pairs say when they were written, so a report page can say how
long changes have waited for the totals worker (decision 56)

Revision ID: 7c3e91a4d0b2
Revises: 5d12c5d5d990
Create Date: 2026-12-04 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c3e91a4d0b2'
down_revision = '5d12c5d5d990'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('report_deltas', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False))

    with op.batch_alter_table('report_dirty', schema=None) as batch_op:
        batch_op.add_column(sa.Column('marked_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False))


def downgrade():
    with op.batch_alter_table('report_dirty', schema=None) as batch_op:
        batch_op.drop_column('marked_at')

    with op.batch_alter_table('report_deltas', schema=None) as batch_op:
        batch_op.drop_column('recorded_at')
