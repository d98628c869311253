"""`louzu activities …`: the committee's own activity catalogue for #打卡 (垃圾分类值守, 敬老探访, 反诈宣传 …)."""

from __future__ import annotations

import click

from bot.cli import ui
from bot.cli.state import operation, records_of
from bot.cli.types import POSITIVE, YES_NO
from storage.staff import activities as staff

APPROVAL = click.Choice(["auto", "leader"])


@click.group(cls=ui.Group, help="活动目录（#打卡 用）：查看、添加、修改、停用。")
def activities() -> None:
    pass


@activities.command("list", help="所有活动：每单位积分、审核方式、每天上限、一次最多、是否可打卡。")
@click.pass_context
def list_command(ctx: click.Context) -> int:
    rows = ui.run(operation(records_of(ctx).database_url, staff.list_activities))
    ui.table("活动目录", ["活动", "积分", "单位", "审核", "每天上限", "一次最多", "可打卡"],
             [(a.name, a.points, a.unit, staff.approval_text(a.auto_approve), "不限" if a.daily_cap is None else a.daily_cap,
               a.max_quantity, "是" if a.active else "否") for a in rows])
    return 0


def _options(command):
    for option in reversed([
        click.option("--points", type=POSITIVE, metavar="分", help="每个单位多少积分"),
        click.option("--unit", metavar="单位", help="单位，例如 次、小时（默认 次）"),
        click.option("--approval", type=APPROVAL, metavar="auto|leader", help="auto 自动通过，leader 要楼组长审核"),
        click.option("--daily-cap", metavar="N|none", help="每人每天最多几个单位；none 不限"),
        click.option("--most", type=POSITIVE, metavar="N", help="一次打卡最多几个单位"),
    ]):
        command = option(command)
    return command


def _daily_cap(text: str | None):
    if text is None:
        return staff.UNSET
    if text.strip().lower() in ("none", "不限"):
        return None
    if not text.strip().isdigit() or int(text) < 1:
        raise click.BadParameter(f"{text} 要写 1 或以上的整数，或 none（不限）", param_hint="'--daily-cap'")
    return int(text)


@activities.command("add", help="添加一个活动，例如：louzu activities add 垃圾分类值守 --points 3 --daily-cap 1")
@ui.argument("name", metavar="活动", help="活动名称（居民打卡时写的，例如 敬老探访）")
@_options
@click.pass_context
def add_command(ctx: click.Context, name: str, points: int | None, unit: str | None, approval: str | None,
                daily_cap: str | None, most: int | None) -> int:
    if points is None:
        raise ui.Fail("新活动要写 --points（每个单位多少积分）", 2)
    cap = _daily_cap(daily_cap)
    change = ui.run(operation(records_of(ctx).database_url, staff.add_activity, name, points=points, unit=unit or "次",
                              auto=approval != "leader", daily_cap=None if cap is staff.UNSET else cap,
                              most=most or 1))
    ui.say(change.text())
    return 0


@activities.command("set", help="修改一个活动（只改写出的项），例如：louzu activities set 宣传 --name 反诈宣传 --points 4")
@ui.argument("name", metavar="活动", help="现在的活动名称")
@click.option("--name", "new_name", metavar="新名", help="改名")
@_options
@click.option("--active", type=YES_NO, metavar="yes|no", help="是否可以打卡")
@click.pass_context
def set_command(ctx: click.Context, name: str, new_name: str | None, points: int | None, unit: str | None,
                approval: str | None, daily_cap: str | None, most: int | None, active: bool | None) -> int:
    change = ui.run(operation(records_of(ctx).database_url, staff.set_activity, name, new_name=new_name, points=points,
                              unit=unit, auto=None if approval is None else approval == "auto",
                              daily_cap=_daily_cap(daily_cap), most=most, active=active))
    ui.say(change.text())
    return 0


@activities.command("disable", help="停用一个活动：#打卡 里不再出现，已有的记录不变。")
@ui.argument("name", metavar="活动", help="活动名称")
@click.pass_context
def disable_command(ctx: click.Context, name: str) -> int:
    ui.say(ui.run(operation(records_of(ctx).database_url, staff.disable_activity, name)).text())
    return 0
