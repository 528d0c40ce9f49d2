"""events.is_going_count_public (pub15): the organizer's choice to show "N going"

Revision ID: 0011_going_count
Revises: 0010_sources
Create Date: 2026-12-06 05:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011_going_count"
down_revision = "0010_sources"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "events",
        sa.Column("is_going_count_public", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade():
    # In place, never a batch copy of events on SQLite: dropping the old table would delete
    # every registration that refers to it (ALTER TABLE ... DROP COLUMN needs SQLite 3.35).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE events DROP COLUMN is_going_count_public")
    else:
        op.drop_column("events", "is_going_count_public")
