"""ledger_entries by time: the week's and the month's sums (the desk's overview, the love bank's chart) read an index, not 2 million rows

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 04:30:00

"""
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Covering: a sum of a period's earned points, by building or not, needs nothing but the index.
    op.create_index('ix_ledger_created', 'ledger_entries', ['created_at', 'kind', 'amount', 'building_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_ledger_created', table_name='ledger_entries')
