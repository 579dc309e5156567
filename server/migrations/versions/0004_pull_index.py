"""An index for pulls: a unit's changes after a cursor, already in order.

Revision ID: fc04e2669e2e
Revises: 959afcb7f591
Create Date: 2026-11-27 22:59:35.203683

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fc04e2669e2e'
down_revision = '959afcb7f591'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_unit_change', ['unit_id', 'change_seq'], unique=False)



def downgrade():
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_unit_change')

