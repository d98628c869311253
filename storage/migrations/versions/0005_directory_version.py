"""directory version: a change counter on buildings, groups, members and role grants

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 07:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Who is who (storage.models.DirectoryVersion): the tables whose changes are counted.
TABLES = ("buildings", "groups", "members", "role_grants")
SQLITE_EVENTS = ("INSERT", "UPDATE", "DELETE")
BUMP = "UPDATE directory_version SET version = version + 1"


def upgrade() -> None:
    op.create_table('directory_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.execute("INSERT INTO directory_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE FUNCTION louzu_directory_changed() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN {BUMP}; RETURN NULL; END $$")
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_directory_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                       f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION louzu_directory_changed()")
    else:  # SQLite: row triggers only
        for table in TABLES:
            for event in SQLITE_EVENTS:
                op.execute(f"CREATE TRIGGER {table}_{event.lower()}_directory_changed AFTER {event} ON {table} "
                           f"BEGIN {BUMP}; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_directory_changed ON {table}")
        op.execute("DROP FUNCTION IF EXISTS louzu_directory_changed()")
    else:
        for table in TABLES:
            for event in SQLITE_EVENTS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{event.lower()}_directory_changed")
    op.drop_table('directory_version')
