"""Activities without evidence counted in the report totals (decision 191)

``activities.proven`` says whether an activity has a stored, undeleted photo; the report
totals and their deltas get a ``proven`` count beside ``activities``. Existing activities
with such a photo are flagged, and their (unit, day) pairs marked for the totals worker,
which recomputes those rows with the new column (a deployment runs it anyway: decision
55); until then their ``proven`` reads 0, as a report page's lag notice says.

Revision ID: 9b4d2e71c05a
Revises: 7e3a9c41d2b6
Create Date: 2026-12-04 18:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '9b4d2e71c05a'
down_revision = '7e3a9c41d2b6'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE … ADD COLUMN: on SQLite a batch copy of ``activities`` would drop
    # the table the photos' foreign keys point at.
    op.add_column('activities', sa.Column('proven', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('report_totals', sa.Column('proven', sa.Integer(), server_default=sa.text('0'), nullable=False))
    op.add_column('report_deltas', sa.Column('proven', sa.Integer(), server_default=sa.text('0'), nullable=False))
    op.execute(
        'UPDATE activities SET proven = true WHERE id IN ('
        'SELECT activity_id FROM evidence WHERE stored AND deleted_at IS NULL)'
    )
    op.execute(
        'INSERT INTO report_dirty (unit_id, day) '
        'SELECT DISTINCT unit_id, starts_on FROM activities WHERE proven '
        'ON CONFLICT DO NOTHING'
    )


def downgrade():
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+), for the same reason.
    op.drop_column('report_deltas', 'proven')
    op.drop_column('report_totals', 'proven')
    op.drop_column('activities', 'proven')
