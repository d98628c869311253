"""The console transport: play residents and leaders of several groups at a terminal.

A line is ``[群名] 名字: 内容``; ``@名字`` inside it is an @-mention, and
``[图片 路径]`` as the content sends that picture.  A line without the
``[群名] 名字:`` part is said by the last speaker in the last group.
"""

from __future__ import annotations

import asyncio
import re
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from bot.core.messages import Attachment, IncomingMessage, Mention, Reply
from bot.transport import BotCore, render_mentions

LINE = re.compile(r"^\s*[\[【]\s*(?P<room>[^\]】]+?)\s*[\]】]\s*(?P<who>[^:：]+?)\s*[:：]\s?(?P<text>.*)$")
MENTION = re.compile(r"@([^\s@\u2005]+)")
PICTURE = re.compile(r"^\s*[\[【]\s*(?:图片|photo|image)\s+(?P<path>[^\]】]+?)\s*[\]】]\s*(?P<caption>.*)$", re.I)

BANNER = """楼组小助手 · 控制台（不需要微信）
每行一条群消息，格式：[12号楼群] 张阿姨: #报修 3楼楼道堆了纸箱
  @名字 表示@某人；内容写 [图片 examples/photo.jpg] 表示发一张图片；
  省略“[群名] 名字:”时沿用上一位发言人。管理员：{admins}。
  发送 #帮助 查看指令；Ctrl-D 退出。"""


class ParseError(ValueError):
    pass


class ConsoleTransport:
    name = "console"

    def __init__(self, bot_name: str, admins: frozenset[str] = frozenset(), stdin: TextIO | None = None,
                 stdout: TextIO | None = None, clock=lambda: datetime.now(timezone.utc)) -> None:
        self.bot_name = bot_name
        self.bot_id = bot_name
        self.admins = admins
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.clock = clock
        self._last: tuple[str, str] | None = None
        self._stopped = False

    def parse(self, line: str) -> IncomingMessage | None:
        """The message a console line stands for; None for a blank line."""
        if not line.strip():
            return None
        match = LINE.match(line)
        if match:
            room, who, text = match.group("room").strip(), match.group("who").strip(), match.group("text")
            self._last = (room, who)
        elif self._last is not None:
            (room, who), text = self._last, line
        else:
            raise ParseError("请按“[群名] 名字: 内容”的格式输入，例如：[12号楼群] 张阿姨: #帮助")
        attachment = None
        picture = PICTURE.match(text)
        if picture:
            path = Path(picture.group("path")).expanduser()
            if not path.is_file():
                raise ParseError(f"找不到图片文件：{path}")
            attachment, text = Attachment(path.resolve()), picture.group("caption")
        names = MENTION.findall(text)
        mentions = tuple(Mention(name, name) for name in dict.fromkeys(names) if name != self.bot_name)
        return IncomingMessage(
            id=f"console-{uuid.uuid4().hex}", room_id=room, room_topic=room, sender_id=who, sender_name=who,
            text=text.strip(), time=self.clock(), mentions=mentions, mentions_bot=self.bot_name in names,
            attachment=attachment)

    async def run(self, core: BotCore) -> None:
        interactive = self.stdin.isatty()
        admins = "、".join(sorted(self.admins)) or "未设置（在 .env 里设 LOUZU_ADMIN_IDS=名字）"
        self._print(BANNER.format(admins=admins))
        loop = asyncio.get_running_loop()
        while not self._stopped:
            if interactive:
                self._print("> ", end="")
            line = await loop.run_in_executor(None, self.stdin.readline)
            if not line:
                break
            try:
                message = self.parse(line.rstrip("\n"))
            except ParseError as error:
                self._print(f"（{error}）")
                continue
            if message is not None:
                await core.on_message(message)

    async def say(self, reply: Reply) -> None:
        text = render_mentions(reply.text, reply.mention, sep=" ")
        if reply.image is not None:
            text = (text + "\n" if reply.text else "") + f"[图片 {reply.image}]"
        self._print(f"[{reply.room_id}] {self.bot_name}: {text}")

    async def stop(self) -> None:
        self._stopped = True

    def _print(self, text: str, end: str = "\n") -> None:
        print(text, end=end, file=self.stdout, flush=True)
