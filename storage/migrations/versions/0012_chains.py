"""chains, chain_signups and chain_attendance: sign-up chains J<n> (接龙) and who came

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 04:10:00

"""
from alembic import op
import sqlalchemy as sa

import storage.types


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('chains',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.String(length=128), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', storage.types.UTCDateTime(), nullable=True),
    sa.Column('when_text', sa.String(length=64), nullable=False),
    sa.Column('places', sa.Integer(), nullable=True),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('remind_at', storage.types.UTCDateTime(), nullable=True),
    sa.Column('reminded_at', storage.types.UTCDateTime(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.Column('closed_at', storage.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], ),
    sa.ForeignKeyConstraint(['author_id'], ['members.id'], ),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_chains_building_id'), 'chains', ['building_id'], unique=False)
    op.create_index(op.f('ix_chains_status'), 'chains', ['status'], unique=False)
    op.create_index('ix_chains_room_status', 'chains', ['room_id', 'status'], unique=False)
    op.create_table('chain_signups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('proxy_name', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('waiting', sa.Boolean(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['chain_id'], ['chains.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('chain_id', 'member_id', 'proxy_name')
    )
    op.create_index(op.f('ix_chain_signups_chain_id'), 'chain_signups', ['chain_id'], unique=False)
    op.create_table('chain_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('marked_by', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['chain_id'], ['chains.id'], ),
    sa.ForeignKeyConstraint(['marked_by'], ['members.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('chain_id', 'member_id')
    )
    op.create_index(op.f('ix_chain_attendance_created_at'), 'chain_attendance', ['created_at'], unique=False)
    op.create_index(op.f('ix_chain_attendance_member_id'), 'chain_attendance', ['member_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_chain_attendance_member_id'), table_name='chain_attendance')
    op.drop_index(op.f('ix_chain_attendance_created_at'), table_name='chain_attendance')
    op.drop_table('chain_attendance')
    op.drop_index(op.f('ix_chain_signups_chain_id'), table_name='chain_signups')
    op.drop_table('chain_signups')
    op.drop_index('ix_chains_room_status', table_name='chains')
    op.drop_index(op.f('ix_chains_status'), table_name='chains')
    op.drop_index(op.f('ix_chains_building_id'), table_name='chains')
    op.drop_table('chains')
