"""a host's language (host mail)

host_proposals.language: the locale a host proposed their event in ("en", "es"); every
mail to them (confirm your email, the decision, their link) is written in it. Proposals
already there were made before this was kept and get English, as before.

Revision ID: 0019_host_language
Revises: 0018_seats_version
Create Date: 2026-12-06 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0019_host_language"
down_revision = "0018_seats_version"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "host_proposals",
        sa.Column("language", sa.String(16), nullable=False, server_default="en"),
    )


def downgrade():
    # In place, never a batch copy on SQLite: dropping the old table would delete every row
    # that refers to it (ALTER TABLE ... DROP COLUMN needs SQLite 3.35).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE host_proposals DROP COLUMN language")
    else:
        op.drop_column("host_proposals", "language")
