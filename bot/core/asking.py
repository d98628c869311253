"""What someone who @-mentions the bot in their own words is asking for: a command, the line to send, or a pointer."""

from __future__ import annotations

from bot.core.parser import for_matching, normalise
from bot.core.router import Command, CommandTable

# How people start a request to a person: 我要报修…, 帮我查积分, 请问…
_LEAD_INS = ("请问", "请", "麻烦", "帮我", "帮忙", "我要", "我想", "想要", "想", "要", "我来", "查一下", "查询", "查查",
             "查", "看一下", "看看", "看下", "看", "问一下", "问下", "你好", "您好", "在吗")
_PUNCTUATION = ",，。.!！?？~～、 "
POINTER_COMMANDS = 3  # a greeting is answered with the few things people do most


def _without_lead_ins(text: str) -> str:
    changed = True
    while changed:
        changed = False
        text = text.lstrip(_PUNCTUATION)
        for lead_in in _LEAD_INS:
            if text.startswith(lead_in):
                text, changed = text[len(lead_in):], True
    return text.strip()


def asked_for(table: CommandTable, text: str) -> tuple[Command, str] | str | None:
    """For a mention of the bot that is no command word: the command it plainly asks for and its arguments
    (我要报修 地库入口堵了 → #报修 地库入口堵了; 我有多少积分 → #我的积分), or the exact line to send when the
    command needs more than was said (怎么报修 → "#报修 3楼楼道堆了纸箱"), or None."""
    text = normalise(text)
    stripped = _without_lead_ins(text)
    word, _, rest = stripped.partition(" ")
    found = table.lookup(word) if word else None
    if found is not None:
        command, glued = found
        return command, f"{glued.lstrip(_PUNCTUATION)} {rest}".strip()
    command = mentioned_command(table, text)
    if command is None:
        return None
    if "args" not in command.params:
        return command, ""
    return f"{command.summary}，请这样发：{command.example}"


def mentioned_command(table: CommandTable, text: str) -> Command | None:
    """The command whose Chinese keyword or alias appears in ``text`` (the longest such word), or None."""
    text = for_matching(text)
    words = sorted(((word, command) for command in table.commands for word in (command.keyword, *command.aliases)
                    if not word.isascii() and len(word) >= 2 and word in text), key=lambda pair: -len(pair[0]))
    return words[0][1] if words else None


def pointer(table: CommandTable, bot_name: str) -> str:
    """The answer to a greeting: who the bot is and the few lines people send most."""
    common = [command for command in table.commands if command.common and repr(command.permission) == "anyone()"]
    lines = [f"你好！我是{bot_name}，可以这样发："]
    lines += [command.line() for command in common[:POINTER_COMMANDS]]
    lines.append("全部指令请发 #帮助")
    return "\n".join(lines)
