"""bot_accounts, account_rooms and outbox_messages.sender: several WeChat accounts, each sending to its own groups

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 04:00:00

"""
from alembic import op
import sqlalchemy as sa

import storage.types


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bot_accounts',
    sa.Column('account_id', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('heartbeat_at', storage.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('account_id')
    )
    op.create_table('account_rooms',
    sa.Column('account_id', sa.String(length=128), nullable=False),
    sa.Column('room_id', sa.String(length=128), nullable=False),
    sa.Column('seen_at', storage.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('account_id', 'room_id')
    )
    op.create_index('ix_account_rooms_room', 'account_rooms', ['room_id'], unique=False)
    with op.batch_alter_table('outbox_messages') as batch_op:
        batch_op.add_column(sa.Column('sender', sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox_messages') as batch_op:
        batch_op.drop_column('sender')
    op.drop_index('ix_account_rooms_room', table_name='account_rooms')
    op.drop_table('account_rooms')
    op.drop_table('bot_accounts')
