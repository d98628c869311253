"""The Alembic migrations build exactly the models, on SQLite and PostgreSQL, and go back down."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.db import make_engine, upgrade
from storage.models import Base


async def test_migrations_match_the_models(database_url):
    engine = make_engine(database_url)
    try:
        await upgrade(engine)
        async with engine.connect() as conn:
            diff = await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata))
        assert diff == []
    finally:
        await engine.dispose()


async def test_downgrade_to_nothing_and_back(tmp_path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        await upgrade(engine)
        await upgrade_to(engine, "base")
        await upgrade(engine)
    finally:
        await engine.dispose()


async def upgrade_to(engine, revision):
    from alembic import command

    from storage.db import alembic_config

    def run(sync_connection):
        config = alembic_config(str(engine.url))
        config.attributes["connection"] = sync_connection
        command.downgrade(config, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)
