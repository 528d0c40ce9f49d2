"""sources (w14): the texts facts come from, with their full text; pairs and revisions cite one;
the campaign's optional card photo

A source has a title, an author or publisher, a date, an address and its full text, so a
pair's quote is checked against it when saved. Pairs and their revisions name their
source; pairs made before this keep their copied title and no source until edited.

Revision ID: 0010_sources
Revises: 0009_hosting
Create Date: 2026-12-06 04:50:00.000000

"""
from alembic import op
import sqlalchemy as sa

import campaign.core.types


# revision identifiers, used by Alembic.
revision = "0010_sources"
down_revision = "0009_hosting"
branch_labels = None
depends_on = None


# SQLite changes a table's constraints by copying it, and dropping the old fact_cards would
# fire the ON DELETE actions of the rows that refer to it (revisions deleted, card owners
# set to NULL): on SQLite those rows are kept aside while the tables are copied.
_REVISION_COLUMNS = (
    'id, fact_card_id, myth, fact, source_title, source_quote, status, proposed_by_id, '
    'proposed_at, decided_by_id, decided_at'
)


def _keep_referring_rows():
    op.execute('CREATE TEMP TABLE _w14_card_owners AS '
               'SELECT key, fact_card_id FROM card_renders WHERE fact_card_id IS NOT NULL')
    op.execute(f'CREATE TEMP TABLE _w14_revisions AS SELECT {_REVISION_COLUMNS} FROM fact_revisions')


def _restore_referring_rows():
    op.execute(f'INSERT INTO fact_revisions ({_REVISION_COLUMNS}) '
               f'SELECT {_REVISION_COLUMNS} FROM _w14_revisions '
               'WHERE id NOT IN (SELECT id FROM fact_revisions)')
    op.execute('UPDATE card_renders SET fact_card_id = (SELECT o.fact_card_id FROM '
               '_w14_card_owners o WHERE o.key = card_renders.key) '
               'WHERE key IN (SELECT key FROM _w14_card_owners)')
    op.execute('DROP TABLE _w14_revisions')
    op.execute('DROP TABLE _w14_card_owners')


def upgrade():
    op.create_table('sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=True),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', campaign.core.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', campaign.core.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_sources_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sources'))
    )
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sources_campaign_id'), ['campaign_id'], unique=False)

    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        _keep_referring_rows()
    for table in ('fact_revisions', 'fact_cards'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('source_id', sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_source_id'), ['source_id'], unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_source_id_sources'), 'sources', ['source_id'], ['id'])
    if sqlite:
        _restore_referring_rows()

    op.add_column('campaigns', sa.Column('photo_path', sa.String(length=200), server_default='', nullable=False))


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        # Never a copy of campaigns: dropping it would delete every row that refers to it.
        op.execute('ALTER TABLE campaigns DROP COLUMN photo_path')
    else:
        op.drop_column('campaigns', 'photo_path')

    if sqlite:
        _keep_referring_rows()
    for table in ('fact_cards', 'fact_revisions'):
        with op.batch_alter_table(table, schema=None, recreate='always' if sqlite else 'auto') as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_source_id_sources'), type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_source_id'))
            batch_op.drop_column('source_id')
    if sqlite:
        _restore_referring_rows()

    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sources_campaign_id'))

    op.drop_table('sources')
