"""organizer notifications

organizers.notify_mode: off, a mail per sign-up or cancellation, or a daily digest;
notified_until: the changes told so far; digest_sent_at: when the last digest went.

Revision ID: 0013_notifications
Revises: 0012_uploads
Create Date: 2026-12-06 05:20:00.000000

"""
from alembic import op
import sqlalchemy as sa

import campaign.core.types


# revision identifiers, used by Alembic.
revision = "0013_notifications"
down_revision = "0012_uploads"
branch_labels = None
depends_on = None


COLUMNS = ("notify_mode", "notified_until", "digest_sent_at")


def upgrade():
    op.add_column(
        "organizers",
        sa.Column("notify_mode", sa.String(length=10), server_default="off", nullable=False),
    )
    op.add_column(
        "organizers",
        sa.Column("notified_until", campaign.core.types.UTCDateTime(), nullable=True),
    )
    op.add_column(
        "organizers",
        sa.Column("digest_sent_at", campaign.core.types.UTCDateTime(), nullable=True),
    )


def downgrade():
    # In place, never a batch copy of organizers on SQLite: dropping the old table would
    # take every row that refers to it (ALTER TABLE ... DROP COLUMN needs SQLite 3.35).
    sqlite = op.get_bind().dialect.name == "sqlite"
    for column in reversed(COLUMNS):
        if sqlite:
            op.execute(f"ALTER TABLE organizers DROP COLUMN {column}")
        else:
            op.drop_column("organizers", column)
