"""ledger_entries by time: an index that answers a period's grouped sums for every building

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 05:00:00

"""
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Holds every column the weekly ranking, the star ratings and the honour list read of a
    # period's lines, so that they read the period's part of the index and not the table.
    op.create_index('ix_ledger_created_building', 'ledger_entries',
                    ['created_at', 'building_id', 'member_id', 'amount', 'kind'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_ledger_created_building', table_name='ledger_entries')
