"""Command registration: keyword, aliases and who may call it, declared on the handler."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Iterable

from bot.core.context import Context
from bot.core.parser import simplified
from bot.core.rules import Permission, Rule, anyone, bound_group

Handler = Callable[..., Awaitable[Any]]

# Names a handler may ask for in its signature; each is an attribute of Context.
INJECTABLE = {"ctx", "message", "session", "settings", "now", "group", "member", "building",
              "roles", "is_admin", "args", "keyword", "mentions"}


class RouterError(ValueError):
    """A bad declaration, found when the routers are wired together at start-up."""


@dataclass(frozen=True)
class Command:
    keyword: str
    aliases: tuple[str, ...]
    func: Handler
    permission: Permission
    rules: tuple[Rule, ...]
    usage: str
    summary: str
    params: tuple[str, ...] = field(default=())
    example: str = ""  # a line to send as it is: what replies and #帮助 show, never the <placeholder> usage
    topic: str = ""  # the #帮助 topic it is listed under (#帮助 积分)
    common: bool = False  # one of the few #帮助 shows first

    def refusal(self, ctx: Context) -> str | None:
        """Why ``ctx``'s sender may not use this command here (the first rule that fails, then the permission);
        None when they may. The dispatcher refuses with it, and #帮助 lists only the commands without one."""
        for rule in self.rules:
            if not rule.holds(ctx):
                return rule.refusal
        if not self.permission.allows(ctx):
            return f"#{self.keyword} 只有{self.permission.label}可以使用。发送 #帮助 查看你可用的指令。"
        return None

    def line(self) -> str:
        """How #帮助 and a greeting show it: the line to send, then what it does."""
        return f"{self.example}  {self.summary}"

    async def call(self, ctx: Context) -> Any:
        kwargs = {name: (ctx if name == "ctx" else getattr(ctx, name)) for name in self.params}
        return await self.func(**kwargs)


class Router:
    """The commands of one capability (reports, points, admin…)."""

    def __init__(self, name: str, topic: str = "") -> None:
        self.name = name
        self.topic = topic  # the word of `#帮助 <topic>` that lists this capability's commands
        self.commands: list[Command] = []
        self.attachment_handlers: list[Handler] = []
        self.chatter_handlers: list[tuple[re.Pattern[str], Handler]] = []

    def chatter(self, pattern: str) -> Callable[[Handler], Handler]:
        """Register a coroutine ``func(ctx)`` for ordinary chat (no #) whose normalised text starts with
        ``pattern``, such as the "+1" of a 接龙. Only such lines open a transaction; other chat stays free."""

        def decorate(func: Handler) -> Handler:
            if not inspect.iscoroutinefunction(func):
                raise RouterError(f"chatter handler {func.__qualname__} must be async")
            self.chatter_handlers.append((re.compile(pattern), func))
            return func

        return decorate

    def attachment(self) -> Callable[[Handler], Handler]:
        """Register a coroutine ``func(ctx)`` for pictures/files sent without a command."""

        def decorate(func: Handler) -> Handler:
            if not inspect.iscoroutinefunction(func):
                raise RouterError(f"attachment handler {func.__qualname__} must be async")
            self.attachment_handlers.append(func)
            return func

        return decorate

    def command(self, keyword: str, *aliases: str, permission: Permission | None = None,
                bound: bool = True, usage: str = "", summary: str = "", example: str = "",
                common: bool = False) -> Callable[[Handler], Handler]:
        """Register the decorated coroutine for ``#keyword`` and its aliases."""

        def decorate(func: Handler) -> Handler:
            if not inspect.iscoroutinefunction(func):
                raise RouterError(f"#{keyword}: {func.__qualname__} must be async")
            params = tuple(inspect.signature(func).parameters)
            unknown = set(params) - INJECTABLE
            if unknown:
                raise RouterError(f"#{keyword}: {func.__qualname__} asks for unknown {sorted(unknown)}")
            self.commands.append(Command(
                keyword=keyword,
                aliases=aliases,
                func=func,
                permission=permission or anyone(),
                rules=(bound_group(),) if bound else (),
                usage=usage or f"#{keyword}",
                summary=summary or (inspect.getdoc(func) or "").partition("\n")[0],
                params=params,
                example=example or usage or f"#{keyword}",
                topic=self.topic,
                common=common,
            ))
            return func

        return decorate


class CommandTable:
    """All routers wired together; a clash of two keywords or aliases fails here."""

    def __init__(self, routers: Iterable[Router]) -> None:
        self.commands: list[Command] = []
        self.attachment_handlers: list[Handler] = []
        self.chatter_handlers: list[tuple[re.Pattern[str], Handler]] = []
        self._by_word: dict[str, Command] = {}
        for router in routers:
            self.attachment_handlers.extend(router.attachment_handlers)
            self.chatter_handlers.extend(router.chatter_handlers)
            for command in router.commands:
                self.commands.append(command)
                for word in (command.keyword, *command.aliases):
                    key = word.casefold()
                    if key in self._by_word:
                        other = self._by_word[key]
                        raise RouterError(f"#{word} is declared twice: #{other.keyword} and #{command.keyword}")
                    self._by_word[key] = command
        # Chinese keywords, longest first, for "#打卡捡垃圾" typed without a space.
        self._prefixes = sorted((w for w in self._by_word if not w.isascii()), key=len, reverse=True)

    def chatter_for(self, text: str) -> Handler | None:
        """The handler for a line of ordinary chat (already normalised), or None: most chat has none."""
        return next((func for pattern, func in self.chatter_handlers if pattern.match(text)), None)

    def lookup(self, word: str) -> tuple[Command, str] | None:
        """The command for ``word`` (traditional characters read as simplified) and any text glued to its end, or None."""
        key = simplified(word).casefold()
        if key in self._by_word:
            return self._by_word[key], ""
        for prefix in self._prefixes:
            if key.startswith(prefix):
                return self._by_word[prefix], word[len(prefix):]
        return None
