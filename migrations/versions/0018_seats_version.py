"""events.seats_version: a counter of seat changes, for the listing's cache key (scale18)

Bumped in the transaction of every registration added, promoted or cancelled, so that
the public listing knows its seat badges changed by summing one column over the listed
events instead of counting their registrations on every request. Existing events start
at the changes their rows still show: one per registration, one more per cancellation.

Revision ID: 0018_seats_version
Revises: 0017_content_translations
Create Date: 2026-12-06 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0018_seats_version"
down_revision = "0017_content_translations"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "events",
        sa.Column("seats_version", sa.Integer(), nullable=False, server_default="0"),
    )
    op.execute(
        "UPDATE events SET seats_version = ("
        " SELECT count(*) + count(CASE WHEN registrations.status = 'cancelled' THEN 1 END)"
        " FROM registrations WHERE registrations.event_id = events.id)"
    )


def downgrade():
    # In place, never a batch copy of events on SQLite: dropping the old table would delete
    # every registration that refers to it (ALTER TABLE ... DROP COLUMN needs SQLite 3.35).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE events DROP COLUMN seats_version")
    else:
        op.drop_column("events", "seats_version")
