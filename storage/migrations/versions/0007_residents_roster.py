"""residents: the committee's roster (楼栋, 门牌号, 姓名, 微信号, 角色)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 01:00:00

"""
from alembic import op
import sqlalchemy as sa

import storage.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table only: the directory triggers of 0005 on buildings, groups, members and
    # role_grants are untouched (no batch rebuild of those tables).
    op.create_table('residents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('door', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('wechat_id', sa.String(length=128), nullable=True),
    sa.Column('roles', sa.String(length=128), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('linked_at', storage.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('building_id', 'door', 'name'),
    sa.UniqueConstraint('member_id')
    )
    op.create_index(op.f('ix_residents_building_id'), 'residents', ['building_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_residents_building_id'), table_name='residents')
    op.drop_table('residents')
