"""event coordinates (map18)

events.latitude and events.longitude: where an in-person event is on the public map,
in degrees; both or neither, optional. host_proposals gets the same pair, which a host
proposes and the approved event takes.

Revision ID: 0014_event_coordinates
Revises: 0013_notifications
Create Date: 2026-12-06 06:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014_event_coordinates"
down_revision = "0013_notifications"
branch_labels = None
depends_on = None


TABLES = ("events", "host_proposals")
COLUMNS = ("latitude", "longitude")


def upgrade():
    for table in TABLES:
        for column in COLUMNS:
            op.add_column(table, sa.Column(column, sa.Float(), nullable=True))


def downgrade():
    # In place, never a batch copy of events on SQLite: dropping the old table would take
    # every row that refers to it (ALTER TABLE ... DROP COLUMN needs SQLite 3.35).
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in reversed(TABLES):
        for column in reversed(COLUMNS):
            if sqlite:
                op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
            else:
                op.drop_column(table, column)
