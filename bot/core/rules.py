"""Who may use a command (permissions: one is enough) and where (rules: all must hold).

Each check is a small object with a readable repr. Permissions combine with ``|``
(``leader() | patroller()``: either will do); a rule carries the refusal that
explains itself when it does not hold.
"""

from __future__ import annotations

from bot.core.context import Context
from storage.models import RoleName

UNBOUND = "本群还没有绑定楼栋，请居委会管理员发送 #绑定 和本群的楼号，例如：#绑定 12号楼"


class Permission:
    """A kind of person allowed to run a command; ``label`` is how replies name them."""

    label = ""

    def allows(self, ctx: Context) -> bool:
        raise NotImplementedError

    def __or__(self, other: "Permission") -> "Permission":
        return _Either(self, other)

    def __repr__(self) -> str:
        return f"{type(self).__name__.lstrip('_').lower()}()"


class _Either(Permission):
    def __init__(self, *options: Permission) -> None:
        self.options = tuple(o for option in options
                             for o in (option.options if isinstance(option, _Either) else (option,)))
        self.label = "或".join(option.label for option in self.options)

    def allows(self, ctx: Context) -> bool:
        return any(option.allows(ctx) for option in self.options)

    def __repr__(self) -> str:
        return " | ".join(map(repr, self.options))


class _Anyone(Permission):
    label = "居民"

    def allows(self, ctx: Context) -> bool:
        return True


class _Leader(Permission):
    """楼组长 or 网格长 of this building, or a committee administrator."""

    label = "楼组长"

    def allows(self, ctx: Context) -> bool:
        return ctx.is_admin or bool(ctx.roles & {RoleName.LEADER, RoleName.GRID_LEADER})


class _Admin(Permission):
    """A committee administrator named in LOUZU_ADMIN_IDS."""

    label = "居委会管理员"

    def allows(self, ctx: Context) -> bool:
        return ctx.is_admin


class _Patroller(Permission):
    """党员 or 志愿者 of this building; leaders and administrators patrol too."""

    label = "党员、志愿者或楼组长"

    def allows(self, ctx: Context) -> bool:
        return _Leader().allows(ctx) or bool(ctx.roles & {RoleName.PARTY_MEMBER, RoleName.VOLUNTEER})


def anyone() -> Permission:
    return _Anyone()


def leader() -> Permission:
    return _Leader()


def admin() -> Permission:
    return _Admin()


def patroller() -> Permission:
    return _Patroller()


class Rule:
    """A condition about the group a command is used in; ``refusal`` is the reply when it does not hold."""

    refusal = ""

    def holds(self, ctx: Context) -> bool:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__.lstrip('_').lower()}()"


class _BoundGroup(Rule):
    refusal = UNBOUND

    def holds(self, ctx: Context) -> bool:
        return ctx.building is not None


def bound_group() -> Rule:
    return _BoundGroup()
