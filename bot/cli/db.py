"""`louzu db …`: the database's schema, backups and moving a community to PostgreSQL."""

from __future__ import annotations

import click

from bot.cli import ui
from bot.cli.state import settings_of


@click.group(cls=ui.Group, help="数据库：升级结构、备份、搬到 PostgreSQL。")
def db() -> None:
    pass


@db.command("upgrade", help="把数据库结构升级到最新（机器人启动时也会自动做）。")
@click.pass_context
def upgrade_command(ctx: click.Context) -> int:
    settings = settings_of(ctx)
    url = ui.run(_upgrade(settings.database_url))
    ui.say(f"数据库已是最新结构（{url}）")
    return 0


async def _upgrade(url: str) -> str:
    from storage.db import make_engine, upgrade

    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    return engine.url.render_as_string(hide_password=True)
