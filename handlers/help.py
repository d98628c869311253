"""#帮助: the few commands people use most, as lines to send; #帮助 <topic> for the rest of a topic."""

from __future__ import annotations

from bot.core.context import Context, Refusal
from bot.core.parser import for_matching
from bot.core.router import CommandTable, Router

UNBOUND_HEAD = "本群还没有绑定楼栋，请居委会管理员发送 #绑定 12号楼（写本群的楼号），之后就能报修、打卡了。"


def help_text(table: CommandTable, ctx: Context, topic: str = "") -> str:
    """What ``ctx``'s sender may send here: the common commands and the topics (``topic``: that topic's commands).

    Short enough for a phone screen: a resident's fits in 10 lines, each a worked example to copy."""
    usable = [command for command in table.commands if command.refusal(ctx) is None]
    topics = list(dict.fromkeys(command.topic for command in usable if command.topic))
    more = "更多：" + "、".join(f"#帮助 {t}" for t in topics) if topics else ""
    wanted = for_matching(topic)
    if wanted:
        listed = [command for command in usable if command.topic == wanted]
        if not listed:
            found = table.lookup(wanted)
            if found is not None and not found[1] and found[0] in usable:
                return f"{found[0].line()}\n格式：{found[0].usage}（< > 和 [ ] 里的换成你的内容，[ ] 里的可以不写）"
            raise Refusal(f"没有“{wanted[:10]}”这个帮助主题。" + (f"可以发送：{more[3:]}" if more else "发送 #帮助 查看指令。"))
        return "\n".join([f"{wanted}相关指令（照着发，把内容换成你的）：", *(c.line() for c in listed)])
    lines = [UNBOUND_HEAD] if ctx.building is None else []
    common = [command for command in usable if command.common]
    if common:
        lines.append("常用指令，照着发就行：")
        lines += [c.line() for c in common]
    if more:
        lines.append(more)
    return "\n".join(lines)


def make_router(table_getter) -> Router:
    """The #帮助 router; ``table_getter`` returns the wired command table."""
    router = Router("help")

    @router.command("帮助", "help", "菜单", bound=False, usage="#帮助 [主题]", example="#帮助",
                    summary="查看常用指令；#帮助 积分 看积分相关的全部指令")
    async def show_help(ctx: Context, args: str) -> str:
        return help_text(table_getter(), ctx, args)

    return router
