"""`louzu db …`: the database's schema, backups and moving a community to PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.engine import make_url

from bot.cli import ui
from bot.cli.state import records_of, settings_of
from bot.core.settings import SettingsError, normalise_database_url
from storage.staff import StaffError
from storage.staff.backup import copy_database, count_rows, pg_dump_command, sqlite_backup


@click.group(cls=ui.Group, help="数据库：升级结构、备份、搬到 PostgreSQL。")
def db() -> None:
    pass


@db.command("upgrade", help="把数据库结构升级到最新（机器人启动时也会自动做）。")
@click.pass_context
def upgrade_command(ctx: click.Context) -> int:
    from storage.db import upgrade_database

    settings = settings_of(ctx)
    url = ui.run(upgrade_database(settings.database_url))
    ui.say(f"数据库已是最新结构（{url}）")
    return 0


@db.command("backup", help="备份数据库。SQLite：机器人运行时也能得到一份一致的副本；PostgreSQL：给出要用的 pg_dump 命令。")
@ui.argument("file", type=click.Path(path_type=Path, dir_okay=False), metavar="文件", help="备份写到哪里，例如 备份/louzu-2026-11-30.db")
@click.option("--force", is_flag=True, help="文件已存在时覆盖")
@click.pass_context
def backup_command(ctx: click.Context, file: Path, force: bool) -> int:
    settings = records_of(ctx)
    url = make_url(settings.database_url)
    if url.get_backend_name() == "postgresql":
        ui.say("PostgreSQL 的备份用它自己的 pg_dump（在能连到数据库的机器上运行；密码会询问，或放在 ~/.pgpass）：")
        ui.say(f"  {pg_dump_command(url, str(file))}")
        ui.say(f"恢复到一个新建的空数据库：pg_restore --dbname=<新数据库> {file}")
        return 0
    if file.exists() and not force:
        raise ui.Fail(f"{file} 已经存在：换一个文件名，或加 --force 覆盖", 2)
    file.parent.mkdir(parents=True, exist_ok=True)
    try:
        done = sqlite_backup(Path(url.database), file)
    except StaffError as error:
        raise ui.Fail(str(error)) from None
    rows = sum(done.tables.values())
    ui.say(f"已备份到 {done.path}（{done.size / 1024:.0f} KB，{len(done.tables)} 张表，{rows} 行，完整性检查通过）")
    ui.say(f"恢复：停掉机器人，把这个文件复制成 {url.database}，再启动。")
    return 0


@db.command("copy", help="把整个社区从 SQLite 搬到 PostgreSQL：每张表每一行，逐表核对行数。先停掉机器人。")
@click.option("--to", "target_url", required=True, metavar="postgresql://…",
              help="目标数据库（新建的空库），例如 postgresql://louzu:密码@127.0.0.1:5432/louzu")
@click.pass_context
def copy_command(ctx: click.Context, target_url: str) -> int:
    settings = records_of(ctx)
    try:
        target = normalise_database_url(target_url)
    except SettingsError as error:
        raise ui.Fail(f"--to：{error}", 2) from None
    if make_url(target).get_backend_name() != "postgresql":
        raise ui.Fail("--to 要写 PostgreSQL 的地址，例如 postgresql://louzu@127.0.0.1:5432/louzu", 2)
    if make_url(settings.database_url).get_backend_name() != "sqlite":
        raise ui.Fail("现在用的已经不是 SQLite：搬迁只从 SQLite 到 PostgreSQL", 2)
    copied = ui.run(_copy(settings.database_url, target))
    ui.table("逐表核对", ["表", "SQLite", "PostgreSQL", ""],
             [(name, source, target_rows, "✓" if source == target_rows else "✗")
              for name, source, target_rows in copied.counts])
    if not copied.matches:
        raise ui.Fail("有表的行数对不上，目标数据库没有保留任何数据；请把上表发给管理员")
    shown = make_url(target).render_as_string(hide_password=True)
    ui.say(f"已搬到 {shown}：{sum(s for _, s, _ in copied.counts)} 行，逐表核对一致。")
    ui.say("接下来：在 .env 里把 DATABASE_URL 改成这个地址，再启动机器人；原来的 SQLite 文件留作备份。")
    return 0


async def _copy(source_url: str, target_url: str):
    from storage.db import make_engine, upgrade

    source, target = make_engine(source_url), make_engine(target_url)
    try:
        await upgrade(source)
        try:
            await upgrade(target)
        except Exception as error:  # the driver's reason, in one line
            raise ui.Fail(f"连不上目标数据库或无法建表：{str(error).splitlines()[0][:160]}") from None
        with ui.progress("搬迁", await count_rows(source)) as advance:
            try:
                return await copy_database(source, target, advance)
            except StaffError as error:
                raise ui.Fail(str(error), 2) from None
    finally:
        await source.dispose()
        await target.dispose()
