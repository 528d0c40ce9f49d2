"""content translations (content16)

event_translations: an event's title, summary and description in another language,
one row per event and locale.
fact_translations: a myth/fact pair's myth, fact and reason in another language, one row
per pair and locale, public once approved; a change to an approved one waits in pending_*.

Revision ID: 0017_content_translations
Revises: 0016_registration_language
Create Date: 2026-12-06 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import campaign.core.types


# revision identifiers, used by Alembic.
revision = "0017_content_translations"
down_revision = "0016_registration_language"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "event_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("summary", sa.String(length=280), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", campaign.core.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", campaign.core.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_translations_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_translations")),
        sa.UniqueConstraint(
            "event_id", "locale", name=op.f("uq_event_translations_event_id_locale")
        ),
    )
    op.create_index(
        op.f("ix_event_translations_event_id"), "event_translations", ["event_id"], unique=False
    )

    op.create_table(
        "fact_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fact_card_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("source_locale", sa.String(length=16), nullable=False),
        sa.Column("myth", sa.String(length=300), nullable=False),
        sa.Column("fact", sa.String(length=600), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("is_approved", sa.Boolean(), nullable=False),
        sa.Column("approved_at", campaign.core.types.UTCDateTime(), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("pending_myth", sa.String(length=300), nullable=True),
        sa.Column("pending_fact", sa.String(length=600), nullable=True),
        sa.Column("pending_reason", sa.Text(), nullable=True),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", campaign.core.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", campaign.core.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fact_card_id"],
            ["fact_cards.id"],
            name=op.f("fk_fact_translations_fact_card_id_fact_cards"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["organizers.id"],
            name=op.f("fk_fact_translations_approved_by_id_organizers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["organizers.id"],
            name=op.f("fk_fact_translations_proposed_by_id_organizers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fact_translations")),
        sa.UniqueConstraint(
            "fact_card_id", "locale", name=op.f("uq_fact_translations_fact_card_id_locale")
        ),
    )
    op.create_index(
        op.f("ix_fact_translations_fact_card_id"),
        "fact_translations",
        ["fact_card_id"],
        unique=False,
    )


def downgrade():
    op.drop_index(op.f("ix_fact_translations_fact_card_id"), table_name="fact_translations")
    op.drop_table("fact_translations")
    op.drop_index(op.f("ix_event_translations_event_id"), table_name="event_translations")
    op.drop_table("event_translations")
