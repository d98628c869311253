"""`louzu buildings …`: list, rename, merge a wrongly created building into the right one, remove empty ones."""

from __future__ import annotations

import click

from bot.cli import ui
from bot.cli.state import operation, records_of
from storage.staff import buildings as staff


@click.group(cls=ui.Group, help="楼栋：查看、改名、合并建错的楼栋、删除空楼栋。")
def buildings() -> None:
    pass


@buildings.command("list", help="每栋楼的群、成员数、名册人数和楼组长。")
@click.pass_context
def list_command(ctx: click.Context) -> int:
    lines = ui.run(operation(records_of(ctx).database_url, staff.list_buildings))
    ui.table("楼栋", ["楼栋", "群", "成员", "名册", "楼组长"],
             [(line.building.name, "\n".join(line.groups) or "未绑定", line.members, line.residents,
               "、".join(line.leaders)) for line in lines])
    return 0


@buildings.command("rename", help="给楼栋改名（群、成员和记录都跟着）。")
@ui.argument("old", metavar="原名", help="现在的楼名，例如 12号楼")
@ui.argument("new", metavar="新名", help="新的楼名")
@click.pass_context
def rename_command(ctx: click.Context, old: str, new: str) -> int:
    ui.say(ui.run(operation(records_of(ctx).database_url, staff.rename, old, new)))
    return 0


@buildings.command("merge", help="把建错的楼栋并入正确的楼栋：成员、群、报修、打卡、积分记录等全部移过去（一次完成），"
                                 "然后删掉建错的。")
@ui.argument("source", metavar="建错的", help="要并掉的楼栋，例如 12号")
@ui.argument("target", metavar="正确的", help="并入的楼栋，例如 12号楼")
@click.pass_context
def merge_command(ctx: click.Context, source: str, target: str) -> int:
    merged = ui.run(operation(records_of(ctx).database_url, staff.merge, source, target))
    ui.say(merged.text())
    return 0


@buildings.command("remove-empty", help="删除没有群、成员和任何记录的楼栋。")
@click.pass_context
def remove_empty_command(ctx: click.Context) -> int:
    removed = ui.run(operation(records_of(ctx).database_url, staff.remove_empty))
    ui.say(f"已删除 {len(removed)} 栋空楼栋：{'、'.join(removed)}" if removed else "没有空楼栋。")
    return 0
