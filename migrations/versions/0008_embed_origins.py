"""reach18: embed allow-list

campaigns.embed_origins: the sites (origins, one per line) that may frame the embeddable
event finder /embed/events; empty means any site may.

Revision ID: 0008_embed
Revises: 0007_mail
Create Date: 2026-12-06 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008_embed"
down_revision = "0007_mail"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "campaigns", sa.Column("embed_origins", sa.Text(), server_default="", nullable=False)
    )


def downgrade():
    # In place, never a batch copy of campaigns on SQLite: dropping the old table would
    # delete every row that refers to it (ALTER TABLE ... DROP COLUMN needs SQLite 3.35).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE campaigns DROP COLUMN embed_origins")
    else:
        op.drop_column("campaigns", "embed_origins")
