"""From a group message to replies: parse, check who may, one transaction, then send."""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.asking import asked_for, mentioned_command, pointer
from bot.core.context import Context, Refusal
from bot.core.intake import MAX_TEXT, take_in
from bot.core.messages import IncomingMessage, Reply
from bot.core.parser import CommandText, normalise, placeholder_in, split_command
from bot.core.router import Command, CommandTable, Handler
from bot.core.rules import UNBOUND
from bot.core.settings import Settings
from storage import queries
from storage.directory import Directory

log = logging.getLogger(__name__)

UNKNOWN_HINT_EVERY = timedelta(minutes=10)
# Someone who @-mentions the bot in their own words is answered, but a chat of greetings gets one answer a minute.
POINTER_EVERY = timedelta(minutes=1)
FAILED = "抱歉，处理这条消息时出了点问题，已记录下来。请稍后再试，或联系楼组长。"
# One person's commands (a bare @-mention of the bot included) are counted over this window,
# in the database (so the limit holds across bot processes); past LOUZU_COMMANDS_PER_MINUTE they
# get one polite line, then silence while they stay over it, the line again at most this often.
LIMIT_WINDOW = timedelta(minutes=1)
LIMIT_TOLD_EVERY = timedelta(minutes=10)
TOO_FAST = "你发得太快了，请歇一会儿，过一分钟再发。"
# A group not yet bound is told how to bind it at most this often, whoever asks.
UNBOUND_TOLD_EVERY = timedelta(minutes=10)

Clock = Callable[[], datetime]
Send = Callable[[Reply], Awaitable[None]]


class _Undo(Exception):
    """Carries a refusal out of its transaction, so that the transaction rolls back."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.text)
        self.reply = reply


class Dispatcher:
    """Turns each incoming message into at most one transaction and its replies."""

    def __init__(self, table: CommandTable, sessions: async_sessionmaker[AsyncSession], settings: Settings,
                 clock: Clock, send: Send, bot_id: str = "", db_lock: contextlib.AbstractAsyncContextManager | None = None) -> None:
        self.table = table
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        self.send = send
        self.bot_id = bot_id
        self._hinted: dict[str, datetime] = {}
        self._serial = db_lock or contextlib.nullcontext()  # the process's database lock (SQLite needs one)
        self.directory = Directory()  # who is who, remembered between messages

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        """Handle one message and send its replies; returns what was sent."""
        if message.sender_id == self.bot_id and self.bot_id:
            return []
        message, cut = take_in(message)
        if cut:
            log.info("message %s in %s was longer than %d characters; read and kept cut", message.id,
                     message.room_id, MAX_TEXT)
        mention_names = [m.name for m in message.mentions if m.id != self.bot_id]
        parsed = split_command(message.text, bot_name=self.settings.bot_name,
                               mentions_bot=message.mentions_bot, mention_names=mention_names)
        if parsed is None:
            chatter = self.table.chatter_for(normalise(message.text)) if message.text else None
            if chatter is None and (message.attachment is None or not self.table.attachment_handlers):
                return []
            replies = await self._run(None, message, "", chatter)
        else:
            replies = await self._command(message, parsed)
        for reply in replies:
            await self.send(reply)
        return replies

    async def _command(self, message: IncomingMessage, parsed: CommandText) -> list[Reply]:
        found = self.table.lookup(parsed.word or "帮助")
        if found is not None:
            command, glued = found
            return await self._run(command, message, f"{glued} {parsed.rest}".strip())
        if parsed.hashed:
            return self._unknown(message, parsed.word, parsed.rest)
        asked = asked_for(self.table, f"{parsed.word} {parsed.rest}")
        if isinstance(asked, tuple):  # the command's own words, said plainly: "@楼组小助手 我要报修 …"
            command, args = asked
            return await self._run(command, message, args)
        return self._hint(message, asked or pointer(self.table, self.settings.bot_name), POINTER_EVERY)

    def _unknown(self, message: IncomingMessage, word: str, rest: str) -> list[Reply]:
        """An unknown #word: one line, naming the command the words point to when they point to one."""
        text = f"没有“#{word[:20]}”这个指令，"
        meant = mentioned_command(self.table, f"{word} {rest}")
        text += f"{meant.summary}，请这样发：{meant.example}" if meant else "发送 #帮助 查看可用指令。"
        return self._hint(message, text, UNKNOWN_HINT_EVERY)

    def _hint(self, message: IncomingMessage, text: str, every: timedelta) -> list[Reply]:
        """``text`` to the sender, unless they were hinted at less than ``every`` ago (no spam)."""
        now = self.clock()
        last = self._hinted.get(message.sender_id)
        if last is not None and now - last < every:
            return []
        self._hinted[message.sender_id] = now
        return [Reply(message.room_id, text, (message.sender_id,))]

    async def _run(self, command: Command | None, message: IncomingMessage, args: str,
                   chatter: Handler | None = None) -> list[Reply]:
        """One transaction for ``command``, or, with None, for ordinary chat: a picture, or a line ``chatter`` reads."""
        async with self._serial:
            return await self._transaction(command, message, args, chatter)

    async def _transaction(self, command: Command | None, message: IncomingMessage, args: str,
                           chatter: Handler | None = None) -> list[Reply]:
        now = self.clock()
        kind = queries.COMMAND if command is not None else None
        try:
            async with self.sessions() as session, session.begin():
                if command is not None:
                    await queries.one_at_a_time(session, message.sender_id)
                first = await queries.mark_processed(session, message.id, message.room_id, now,
                                                     sender_id=message.sender_id, kind=kind,
                                                     limit_since=now - LIMIT_WINDOW)
                if first is None:
                    log.info("message %s already handled; ignoring the redelivery", message.id)
                    return []
                if command is not None and first.recent >= self.settings.commands_per_minute:
                    return await self._too_fast(session, message, now)
                ctx = await self._context(session, message, now, command, args, first.directory_version)
                if command is None and chatter is not None:
                    return await self._chatter(ctx, chatter)
                if command is None:
                    return await self._attachment(ctx)
                refusal = command.refusal(ctx)
                if refusal:
                    if ctx.building is None and refusal == UNBOUND:
                        if await queries.answered_unbound(session, message.room_id, now - UNBOUND_TOLD_EVERY):
                            return []  # the group was told a moment ago; once is enough
                        await queries.mark(session, message.id, queries.UNBOUND)
                    return [ctx.reply(refusal)]
                placeholder = placeholder_in(args)
                if placeholder is not None:
                    return [ctx.reply(f"“{placeholder}”是格式说明，请换成你的内容再发，例如：{command.example}")]
                try:
                    result = await command.call(ctx)
                except Refusal as refused:
                    raise _Undo(ctx.reply(refused.text)) from None
                return self._replies(ctx, result)
        except _Undo as undo:
            # A refused command changes nothing (its transaction is rolled back whole), but the
            # message stays handled. Refusals are rare, so this beats a savepoint on every message.
            async with self.sessions() as session, session.begin():
                first = await queries.mark_processed(session, message.id, message.room_id, now,
                                                     sender_id=message.sender_id, kind=kind)
            return [undo.reply] if first is not None else []
        except Exception:
            what = f"#{command.keyword}" if command else "a chat line" if chatter else "a picture"
            log.exception("message %s (%s in %s) failed", message.id, what, message.room_id)
            # A picture or a chat line is ordinary chat: it gets no answer, not even this one.
            return [Reply(message.room_id, FAILED, (message.sender_id,))] if command else []

    async def _too_fast(self, session: AsyncSession, message: IncomingMessage, now: datetime) -> list[Reply]:
        """Over the limit: one polite line (marked, so it is said once a while), then silence."""
        if await queries.told_of_limit(session, message.sender_id, now - LIMIT_TOLD_EVERY):
            return []
        log.info("%s in %s is over the limit of %d commands a minute", message.sender_id, message.room_id,
                 self.settings.commands_per_minute)
        await queries.mark(session, message.id, queries.LIMITED)
        return [Reply(message.room_id, TOO_FAST, (message.sender_id,))]

    async def _chatter(self, ctx: Context, handler: Handler) -> list[Reply]:
        """A line of ordinary chat a capability reads (the "+1" of a 接龙); its refusal undoes it like a command's."""
        if ctx.building is None:
            return []
        try:
            result = await handler(ctx)
        except Refusal as refused:
            raise _Undo(ctx.reply(refused.text)) from None
        return self._replies(ctx, result)

    async def _attachment(self, ctx: Context) -> list[Reply]:
        """A picture or file sent as ordinary chat: the capabilities that keep them see it.

        Handlers return replies like commands do (usually none: ordinary chat stays silent).
        """
        if ctx.building is None:
            return []
        replies: list[Reply] = []
        for handler in self.table.attachment_handlers:
            replies += self._replies(ctx, await handler(ctx))
        return replies

    async def _context(self, session: AsyncSession, message: IncomingMessage, now: datetime,
                       command: Command | None, args: str, directory_version: int | None) -> Context:
        """What a handler is given; ``args`` come from split_command, mentions already taken out."""
        who = await self.directory.sender(session, directory_version, message.room_id, message.room_topic,
                                          message.sender_id, message.sender_name, now,
                                          admin=message.sender_id in self.settings.admin_ids)
        mentions = tuple(m for m in message.mentions if m.id != self.bot_id)
        return Context(
            message=message, session=session, settings=self.settings, now=now, group=who.group, member=who.member,
            building=who.building, roles=who.roles, is_admin=message.sender_id in self.settings.admin_ids,
            args=args, keyword=command.keyword if command else "",
            mentions=mentions,
        )

    @staticmethod
    def _replies(ctx: Context, result: Any) -> list[Reply]:
        if result is None:
            return []
        items = result if isinstance(result, (list, tuple)) else [result]
        return [ctx.reply(item) if isinstance(item, str) else item for item in items]
