"""Who may use a command (permissions: one is enough) and where (rules: all must hold)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from storage.models import RoleName

if TYPE_CHECKING:
    from bot.core.context import Context


class Permission:
    """A kind of person allowed to run a command; ``label`` is how replies name them."""

    label = ""

    def allows(self, ctx: "Context") -> bool:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _Anyone(Permission):
    label = "居民"

    def allows(self, ctx: "Context") -> bool:
        return True


class _Leader(Permission):
    """楼组长 or 网格长 of this building, or a committee administrator."""

    label = "楼组长"

    def allows(self, ctx: "Context") -> bool:
        return ctx.is_admin or bool(ctx.roles & {RoleName.LEADER, RoleName.GRID_LEADER})


class _Admin(Permission):
    """A committee administrator named in LOUZU_ADMIN_IDS."""

    label = "居委会管理员"

    def allows(self, ctx: "Context") -> bool:
        return ctx.is_admin


class _Patroller(Permission):
    """党员 or 志愿者 of this building; leaders and administrators patrol too."""

    label = "党员、志愿者或楼组长"

    def allows(self, ctx: "Context") -> bool:
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
    """A condition about the group a command is used in."""

    def holds(self, ctx: "Context") -> bool:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _BoundGroup(Rule):
    def holds(self, ctx: "Context") -> bool:
        return ctx.building is not None


def bound_group() -> Rule:
    return _BoundGroup()
