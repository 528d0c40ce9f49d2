"""p13: stored uploads (the logo, and any later upload kind) in the database

Uploads were files under one host's instance/logos/, missing on every other host of a
scale-out. stored_uploads keeps each upload's bytes by kind and SHA-256; hosts keep a
disk cache. Logos already uploaded are copied in from this host's instance folder
(a campaign whose file is missing here keeps its reference and draws no logo, as before).

Revision ID: 0012_uploads
Revises: 0011_going_count
Create Date: 2026-12-06 05:30:00

"""
import hashlib
import logging
import re
from pathlib import Path

import sqlalchemy as sa
from alembic import op

import campaign.core.types

# revision identifiers, used by Alembic.
revision = "0012_uploads"
down_revision = "0011_going_count"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade():
    uploads = op.create_table(
        "stored_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", campaign.core.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_uploads")),
        sa.UniqueConstraint("kind", "digest", name=op.f("uq_stored_uploads_kind_digest")),
    )
    _copy_logo_files(uploads)


def _copy_logo_files(uploads):
    """Logos on this host's disk become rows."""
    from flask import current_app

    from campaign.core.timeutil import utcnow

    connection = op.get_bind()
    paths = connection.execute(
        sa.text("SELECT DISTINCT logo_path FROM campaigns WHERE logo_path <> ''")
    ).scalars()
    for logo_path in paths:
        match = re.fullmatch(r"logos/([0-9a-f]{64})\.png", logo_path)
        path = Path(current_app.instance_path) / logo_path
        if not match or not path.is_file():
            log.warning("logo %s is not on this host; not copied", logo_path)
            continue
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != match.group(1):
            log.warning("logo %s does not match its digest; not copied", logo_path)
            continue
        op.bulk_insert(
            uploads,
            [
                {
                    "kind": "logo",
                    "digest": match.group(1),
                    "media_type": "image/png",
                    "size": len(data),
                    "data": data,
                    "created_at": utcnow(),
                }
            ],
        )


def downgrade():
    op.drop_table("stored_uploads")
