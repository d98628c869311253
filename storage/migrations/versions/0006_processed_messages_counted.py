"""processed messages: who sent each and what it was, so limits hold across processes; pruned by age

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


# processed_messages is not one of the directory tables (buildings, groups, members, role_grants):
# adding columns needs no rebuild on SQLite, and no triggers to make again. Every message writes a
# row, so each index costs every message: one for the limits, and one that holds only the rows of
# unbound groups' answers (partial). Pruning, once a day, reads the table through.
def upgrade() -> None:
    op.add_column('processed_messages', sa.Column('sender_id', sa.String(length=128), nullable=True))
    op.add_column('processed_messages', sa.Column('kind', sa.String(length=16), nullable=True))
    op.create_index('ix_processed_messages_sender', 'processed_messages', ['sender_id', 'processed_at'],
                    unique=False)
    op.create_index('ix_processed_messages_unbound', 'processed_messages', ['room_id', 'processed_at'], unique=False,
                    sqlite_where=sa.text("kind = 'unbound'"), postgresql_where=sa.text("kind = 'unbound'"))


def downgrade() -> None:
    op.drop_index('ix_processed_messages_unbound', table_name='processed_messages')
    op.drop_index('ix_processed_messages_sender', table_name='processed_messages')
    with op.batch_alter_table('processed_messages') as batch:
        batch.drop_column('kind')
        batch.drop_column('sender_id')
