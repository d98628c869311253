"""Finding the object a leader's command names (C5, X3) among this building's."""

from __future__ import annotations

from typing import TypeVar

from bot.core.context import Context, Refusal
from bot.core.parser import take_ref

T = TypeVar("T")


async def in_this_building(ctx: Context, model: type[T], letter: str, args: str, *, noun: str, example: str,
                           missing: str) -> tuple[T, str]:
    """The ``letter``<n> named at the start of ``args`` (locked for the change), and the rest of ``args``.

    ``missing`` ends the refusal when there is no such number in this building.
    """
    number, rest = take_ref(args, letter)
    if number is None:
        raise Refusal(f"请写上{noun}编号，例如：{example}")
    found = await ctx.session.get(model, number, with_for_update=True)
    assert ctx.building is not None
    if found is None or found.building_id != ctx.building.id:  # type: ignore[attr-defined]
        raise Refusal(f"本楼没有{noun} {letter}{number}，{missing}")
    return found, rest
