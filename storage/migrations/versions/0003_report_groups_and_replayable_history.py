"""report groups and replayable history

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 03:55:24.698363
"""
from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table('report_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('duplicate_of_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_report_events_assignee_id', 'members', ['assignee_id'], ['id'])
        batch_op.create_foreign_key('fk_report_events_duplicate_of_id', 'reports', ['duplicate_of_id'], ['id'])

    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('room_id', sa.String(length=128), nullable=True))



def downgrade() -> None:

    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_column('room_id')

    with op.batch_alter_table('report_events', schema=None) as batch_op:
        batch_op.drop_constraint('fk_report_events_duplicate_of_id', type_='foreignkey')
        batch_op.drop_constraint('fk_report_events_assignee_id', type_='foreignkey')
        batch_op.drop_column('duplicate_of_id')
        batch_op.drop_column('assignee_id')
