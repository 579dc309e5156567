"""Each activity keeps its record rendered as phones receive it, so pulls send it as it is.

Revision ID: 5a1e0c3d7b21
Revises: fc04e2669e2e
Create Date: 2026-11-28 00:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5a1e0c3d7b21'
down_revision = 'fc04e2669e2e'
branch_labels = None
depends_on = None

BATCH = 1000
#: The columns of ``activities`` at this revision that the rendering reads.
THEN = (
    "id", "unit_id", "type_id", "title", "starts_on", "ends_on", "place", "members_count",
    "citizens_served", "volunteer_hours", "quantities", "description", "status",
    "review_comment", "recorded_at", "recorded_at_suspect", "created_at", "updated_at",
)


def upgrade():
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wire', sa.Text(), nullable=True))

    # Existing rows are rendered by the same function the app uses on every write.
    from server.activities.wire import encode, record_fields
    from server.models import Activity, ActivityType

    bind = op.get_bind()
    table = Activity.__table__
    # Only the columns this revision knows (the model gains columns in later ones), with
    # the model's types so times come back aware on SQLite too.
    known = [table.c[name] for name in THEN]
    codes = dict(bind.execute(sa.select(ActivityType.id, ActivityType.code)).all())
    last = None
    while True:
        query = sa.select(*known).order_by(table.c.id).limit(BATCH)
        if last is not None:
            query = query.where(table.c.id > last)
        rows = bind.execute(query).all()
        if not rows:
            break
        for row in rows:
            bind.execute(
                table.update()
                .where(table.c.id == row.id)
                .values(wire=encode(record_fields(row, codes.get(row.type_id))))
            )
        last = rows[-1].id

    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.alter_column('wire', existing_type=sa.Text(), nullable=False)


def downgrade():
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_column('wire')
