"""`louzu roster …`: the committee's roster in and out as a spreadsheet (storage/staff/roster.py does the work)."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli import ui
from bot.cli.state import records_of
from bot.core.clock import utc_now
from storage.db import make_engine, make_sessionmaker, upgrade
from storage.staff import StaffError
from storage.staff import roster as staff

FILE = click.Path(path_type=Path, dir_okay=False)


@click.group(cls=ui.Group, help="名册：楼栋、群、居民（门牌号、姓名、微信号、角色）的表格，导入和导出。")
def roster() -> None:
    pass


@roster.command("template", help="生成一份空白名册模板（XLSX：楼栋、居民两页和填写说明）。")
@click.option("--output", "-o", type=FILE, default=Path("名册模板.xlsx"), show_default=True, metavar="文件",
              help="写到哪个文件")
@click.option("--force", is_flag=True, help="文件已存在时覆盖")
def template_command(output: Path, force: bool) -> int:
    _not_over(output, force)
    staff.write_template(output)
    ui.say(f"已生成名册模板：{output}（填好后用 louzu roster import {output} --dry-run 先检查）")
    return 0


@roster.command("import", help="导入名册（.xlsx 或 .csv）：先检查每一行，全部正确才导入；同一份文件导入两次不会重复。")
@ui.argument("file", type=FILE, metavar="文件", help="名册文件，.xlsx 或 .csv")
@click.option("--dry-run", is_flag=True, help="只列出会做哪些改动，不写进数据库")
@click.pass_context
def import_command(ctx: click.Context, file: Path, dry_run: bool) -> int:
    settings = records_of(ctx)
    try:
        data = staff.read_roster(file)
    except StaffError as error:
        raise ui.Fail(str(error), 1) from None
    result = ui.run(_import(settings.database_url, data, dry_run))
    head = "试运行，没有写入数据库。" if dry_run else "已导入。"
    if not result.changes:
        ui.say(f"{head}名册和数据库一致，没有改动（{len(data.buildings)} 行楼栋，{len(data.residents)} 行居民）。")
    else:
        ui.say(f"{head}{'将要' if dry_run else '共'}改动 {len(result.changes)} 处：")
        for line in result.changes:
            ui.say(f"  {line}")
    for line in result.notes:
        ui.say(f"  待确认：{line}")
    return 0


async def _import(url: str, data: staff.Roster, dry_run: bool) -> staff.ImportResult:
    engine = make_engine(url)
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine)() as session:
            transaction = await session.begin()
            try:
                with ui.progress("导入名册", len(data.residents)) as advance:
                    result = await staff.import_roster(session, data, utc_now(), advance)
            except StaffError as error:
                await transaction.rollback()
                raise ui.Fail(str(error), 1) from None
            except BaseException:
                await transaction.rollback()
                raise
            if dry_run:
                await transaction.rollback()
            else:
                await transaction.commit()
            return result
    finally:
        await engine.dispose()


@roster.command("export", help="把现在的名册导出成同样格式的表格，改好后可以再导入。")
@click.option("--output", "-o", type=FILE, default=Path("名册.xlsx"), show_default=True, metavar="文件",
              help="写到哪个文件（.xlsx 或 .csv）")
@click.option("--force", is_flag=True, help="文件已存在时覆盖")
@click.pass_context
def export_command(ctx: click.Context, output: Path, force: bool) -> int:
    settings = records_of(ctx)
    _not_over(output, force)
    if output.suffix.lower() not in (".xlsx", ".csv"):
        raise ui.Fail("名册文件要以 .xlsx 或 .csv 结尾", 2)
    data, off_roster = ui.run(_read(settings.database_url))
    staff.write_roster(data, output)
    ui.say(f"已导出名册：{len(data.buildings)} 行楼栋，{len(data.residents)} 行居民 → {output}")
    if off_roster:
        ui.say(f"另有 {off_roster} 位成员在楼组群里发过言但不在名册上（没有门牌号），没有写进去；"
               f"在表里补上他们的门牌号后导入即可。")
    return 0


async def _read(url: str):
    engine = make_engine(url)
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine)() as session:
            return await staff.roster_of(session)
    finally:
        await engine.dispose()


def _not_over(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise ui.Fail(f"{path} 已经存在：换一个文件名，或加 --force 覆盖", 2)
