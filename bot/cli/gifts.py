"""`louzu gifts …`: the committee edits the gift catalogue from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli import ui
from bot.cli.state import operation, records_of
from bot.cli.types import NOT_NEGATIVE, POSITIVE, YES_NO
from storage.staff import gifts as staff


@click.group(cls=ui.Group, help="礼品目录：查看、添加、修改。")
def gifts() -> None:
    pass


@gifts.command("list", help="所有礼品：积分、库存、是否可兑换。")
@click.pass_context
def list_command(ctx: click.Context) -> int:
    rows = ui.run(operation(records_of(ctx).database_url, staff.list_gifts))
    ui.table("礼品目录", ["礼品", "积分", "库存", "可兑换"],
             [(g.name, g.cost, g.stock, "是" if g.active else "否") for g in rows])
    return 0


@gifts.command("set", help="添加礼品，或修改一个礼品的积分、库存、是否可兑换。")
@ui.argument("name", metavar="礼品", help="礼品名称，例如 保温杯")
@click.option("--cost", type=POSITIVE, metavar="分", help="兑换要多少积分")
@click.option("--stock", type=NOT_NEGATIVE, metavar="件", help="还剩多少件")
@click.option("--active", type=YES_NO, metavar="yes|no", help="是否在 #礼品 里提供兑换")
@click.pass_context
def set_command(ctx: click.Context, name: str, cost: int | None, stock: int | None, active: bool | None) -> int:
    change = ui.run(operation(records_of(ctx).database_url, staff.set_gift, name, cost=cost, stock=stock,
                                  active=active))
    ui.say(change.text())
    return 0


@gifts.command("load", help="从 JSON 文件添加或更新礼品（格式同 storage/default_gifts.json）。")
@ui.argument("file", metavar="文件", type=click.Path(path_type=Path), help="礼品 JSON 文件")
@click.pass_context
def load_command(ctx: click.Context, file: Path) -> int:
    changes = ui.run(operation(records_of(ctx).database_url, staff.load_gifts, file))
    for change in changes:
        ui.say(change.text())
    return 0

