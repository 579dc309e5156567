"""Report deltas: what activity writes changed in the totals, until a refresh adds them up

Activity writes record their contribution's change here instead of marking (unit, day)
pairs dirty, so a refresh costs what the edits cost (decision 48). Tree moves still mark
``report_dirty``; pairs already marked are recomputed as before. Quantities rows now
hold non-zero amounts only (a zero reads the same), so the zero rows of earlier
recomputes go.

Revision ID: 5d12c5d5d990
Revises: 291b72a981eb
Create Date: 2026-12-02 18:10:48.134915

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '5d12c5d5d990'
down_revision = '291b72a981eb'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_deltas',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('type_id', sa.Integer(), nullable=False),
    sa.Column('activities', sa.Integer(), nullable=False),
    sa.Column('verified', sa.Integer(), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('citizens', sa.Integer(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=14, scale=1), nullable=False),
    sa.Column('quantities', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_deltas'))
    )
    op.execute("DELETE FROM report_quantities WHERE amount = 0")


def downgrade():
    # Deltas not applied yet would be lost: their days are marked for a recompute.
    op.execute(
        "INSERT INTO report_dirty (unit_id, day) SELECT DISTINCT unit_id, day FROM report_deltas d"
        " WHERE NOT EXISTS (SELECT 1 FROM report_dirty r WHERE r.unit_id = d.unit_id AND r.day = d.day)"
    )
    op.drop_table('report_deltas')
