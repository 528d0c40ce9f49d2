"""fact reasons and the campaign's call to action (reason14)

fact_cards.reason and fact_revisions.reason: a sentence of the pair's source, copied
exactly, that says why the myth is wrong ("" when the pair has none).
campaigns.call_to_action: the article's advice that cards and pages end on ("" if none).

Revision ID: 0015_fact_reasons
Revises: 0014_event_coordinates
Create Date: 2026-12-06 06:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015_fact_reasons"
down_revision = "0014_event_coordinates"
branch_labels = None
depends_on = None

COLUMNS = (
    ("fact_cards", "reason"),
    ("fact_revisions", "reason"),
    ("campaigns", "call_to_action"),
)


def upgrade():
    for table, column in COLUMNS:
        op.add_column(table, sa.Column(column, sa.Text(), nullable=False, server_default=""))


def downgrade():
    # In place, never a batch copy on SQLite: dropping the old table would delete every row
    # that refers to it (ALTER TABLE ... DROP COLUMN needs SQLite 3.35).
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column in reversed(COLUMNS):
        if sqlite:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        else:
            op.drop_column(table, column)
