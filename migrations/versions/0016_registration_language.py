"""a registration's language (mail16)

registrations.language: the locale a person registered in ("en", "es"); every later
mail to them is written in it. Existing rows were made in English.

Revision ID: 0016_registration_language
Revises: 0015_fact_reasons
Create Date: 2026-12-06 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0016_registration_language"
down_revision = "0015_fact_reasons"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "registrations",
        sa.Column("language", sa.String(16), nullable=False, server_default="en"),
    )


def downgrade():
    # In place, never a batch copy on SQLite: dropping the old table would delete every row
    # that refers to it (ALTER TABLE ... DROP COLUMN needs SQLite 3.35).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE registrations DROP COLUMN language")
    else:
        op.drop_column("registrations", "language")
