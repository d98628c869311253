"""From a group message to replies: parse, check who may, one transaction, then send."""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.context import Context, Refusal
from bot.core.intake import MAX_TEXT, take_in
from bot.core.messages import IncomingMessage, Reply
from bot.core.parser import split_command
from bot.core.router import Command, CommandTable
from bot.core.settings import Settings
from storage import queries
from storage.directory import Directory

log = logging.getLogger(__name__)

UNKNOWN_HINT_EVERY = timedelta(minutes=10)
FAILED = "抱歉，处理这条消息时出了点问题，已记录下来。请稍后再试，或联系楼组长。"

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
            if message.attachment is None or not self.table.attachment_handlers:
                return []
            replies = await self._run(None, message, "")
        else:
            found = self.table.lookup(parsed.word or "帮助")
            if found is None:
                replies = self._unknown(message, parsed.word)
            else:
                command, glued = found
                args = f"{glued} {parsed.rest}".strip() if glued else parsed.rest
                replies = await self._run(command, message, args)
        for reply in replies:
            await self.send(reply)
        return replies

    def _unknown(self, message: IncomingMessage, word: str) -> list[Reply]:
        now = self.clock()
        last = self._hinted.get(message.sender_id)
        if last is not None and now - last < UNKNOWN_HINT_EVERY:
            return []
        self._hinted[message.sender_id] = now
        return [Reply(message.room_id, f"没有“#{word[:20]}”这个指令，发送 #帮助 查看可用指令。", (message.sender_id,))]

    async def _run(self, command: Command | None, message: IncomingMessage, args: str) -> list[Reply]:
        """One transaction for ``command``, or, with None, for a picture sent as ordinary chat."""
        async with self._serial:
            return await self._transaction(command, message, args)

    async def _transaction(self, command: Command | None, message: IncomingMessage, args: str) -> list[Reply]:
        now = self.clock()
        try:
            async with self.sessions() as session, session.begin():
                first = await queries.mark_processed(session, message.id, message.room_id, now)
                if first is None:
                    log.info("message %s already handled; ignoring the redelivery", message.id)
                    return []
                ctx = await self._context(session, message, now, command, args, first.directory_version)
                if command is None:
                    return await self._attachment(ctx)
                refusal = command.refusal(ctx)
                if refusal:
                    return [ctx.reply(refusal)]
                try:
                    result = await command.call(ctx)
                except Refusal as refused:
                    raise _Undo(ctx.reply(refused.text)) from None
                return self._replies(ctx, result)
        except _Undo as undo:
            # A refused command changes nothing (its transaction is rolled back whole), but the
            # message stays handled. Refusals are rare, so this beats a savepoint on every message.
            async with self.sessions() as session, session.begin():
                first = await queries.mark_processed(session, message.id, message.room_id, now)
            return [undo.reply] if first is not None else []
        except Exception:
            what = f"#{command.keyword}" if command else "a picture"
            log.exception("message %s (%s in %s) failed", message.id, what, message.room_id)
            # A picture is ordinary chat: it gets no answer, not even this one.
            return [Reply(message.room_id, FAILED, (message.sender_id,))] if command else []

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
                                          message.sender_id, message.sender_name, now)
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
