"""#帮助: the commands this person may use here."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.router import CommandTable, Router

def help_text(table: CommandTable, ctx: Context) -> str:
    """Lines for the commands ``ctx``'s sender may use in this group, residents' first."""
    lines = []
    for command in table.commands:
        if command.refusal(ctx) is None:
            lines.append(f"{command.usage}  {command.summary}")
    head = "可用指令（#后面跟指令，也可以@我）："
    if ctx.building is None:
        head = "本群还没有绑定楼栋，居委会管理员发送 #绑定 <楼号> 后即可使用全部指令。\n" + head
    return "\n".join([head, *lines])


def make_router(table_getter) -> Router:
    """The #帮助 router; ``table_getter`` returns the wired command table."""
    router = Router("help")

    @router.command("帮助", "help", "菜单", bound=False, usage="#帮助", summary="查看可用指令")
    async def show_help(ctx: Context) -> str:
        return help_text(table_getter(), ctx)

    return router
