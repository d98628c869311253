"""group_members and members.last_room_id: who is in which group, and the group each person used last

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 04:00:00

Filled from what the bot has already seen: the bound groups each person used the bot in (the
handled messages still kept) and the groups their reports were made in; a leader not on the
roster gets the building he leads as his home. members gets its column with a
plain ADD COLUMN (no table rebuild on SQLite), so migration 0005's triggers stay.
"""
from alembic import op
import sqlalchemy as sa

import storage.types


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('group_members',
    sa.Column('room_id', sa.String(length=128), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('seen_at', storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ),
    sa.ForeignKeyConstraint(['room_id'], ['groups.room_id'], ),
    sa.PrimaryKeyConstraint('room_id', 'member_id')
    )
    op.create_index(op.f('ix_group_members_member_id'), 'group_members', ['member_id'], unique=False)
    op.add_column('members', sa.Column('last_room_id', sa.String(length=128), nullable=True))
    op.execute("""
        INSERT INTO group_members (room_id, member_id, seen_at)
        SELECT seen.room_id, seen.member_id, MIN(seen.at) FROM (
            SELECT p.room_id AS room_id, m.id AS member_id, p.processed_at AS at
              FROM processed_messages p JOIN members m ON m.wechat_id = p.sender_id
            UNION ALL
            SELECT r.room_id, r.reporter_id, r.created_at FROM reports r WHERE r.room_id IS NOT NULL
        ) seen JOIN groups g ON g.room_id = seen.room_id AND g.building_id IS NOT NULL
        GROUP BY seen.room_id, seen.member_id
    """)
    op.execute("""
        UPDATE members SET last_room_id = (
            SELECT p.room_id FROM processed_messages p
              JOIN groups g ON g.room_id = p.room_id AND g.building_id IS NOT NULL
             WHERE p.sender_id = members.wechat_id ORDER BY p.processed_at DESC LIMIT 1)
    """)

    # A leader not on the roster lives in the building he leads (storage/membership.py), not in
    # whichever building's group the bot happened to see him in first.
    op.execute("""
        UPDATE members SET building_id = (
            SELECT rg.building_id FROM role_grants rg
             WHERE rg.member_id = members.id AND rg.role IN ('leader', 'grid_leader') ORDER BY rg.id LIMIT 1)
         WHERE NOT EXISTS (SELECT 1 FROM residents r WHERE r.member_id = members.id)
           AND EXISTS (SELECT 1 FROM role_grants rg WHERE rg.member_id = members.id
                          AND rg.role IN ('leader', 'grid_leader'))
           AND (building_id IS NULL OR NOT EXISTS (
                SELECT 1 FROM role_grants rg WHERE rg.member_id = members.id
                   AND rg.role IN ('leader', 'grid_leader') AND rg.building_id = members.building_id))
    """)


def downgrade() -> None:
    # Not batch mode: rebuilding members on SQLite would drop migration 0005's triggers.
    op.execute("ALTER TABLE members DROP COLUMN last_room_id")
    op.drop_index(op.f('ix_group_members_member_id'), table_name='group_members')
    op.drop_table('group_members')
