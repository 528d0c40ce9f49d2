"""drop the indexes another index already starts with

Each of these single-column indexes is the first column of a wider index (or of a unique
constraint's) on the same table, which serves every look-up and foreign-key check the
narrow one served; keeping both only cost every insert one more index to write (the
registration POST writes registrations and outbox rows).

Revision ID: 0020_redundant_indexes
Revises: 0019_host_language
Create Date: 2026-12-06 20:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0020_redundant_indexes"
down_revision = "0019_host_language"
branch_labels = None
depends_on = None

# (index, table, column), each covered by the index or unique constraint named beside it.
REDUNDANT = [
    ("ix_registrations_referred_by_id", "registrations", "referred_by_id"),  # referrals
    ("ix_outbox_event_id", "outbox", "event_id"),  # ix_outbox_event_email
    ("ix_events_campaign_id", "events", "campaign_id"),  # ix_events_campaign_listing
    ("ix_event_translations_event_id", "event_translations", "event_id"),  # unique
    ("ix_fact_cards_campaign_id", "fact_cards", "campaign_id"),  # unique
    ("ix_fact_translations_fact_card_id", "fact_translations", "fact_card_id"),  # unique
]


def upgrade():
    for name, table, _column in REDUNDANT:
        op.drop_index(name, table_name=table)


def downgrade():
    for name, table, column in REDUNDANT:
        op.create_index(name, table, [column])
