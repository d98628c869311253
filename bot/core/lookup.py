"""Finding what a command names: the person @-mentioned in it, the numbered object (C5, X3) of this building."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from bot.core.context import Context, Refusal
from bot.core.parser import take_ref
from storage import membership, queries
from storage.models import Member

T = TypeVar("T")


async def one_mentioned(ctx: Context, example: str) -> Member:
    """The single person @-mentioned in the command (created on first sight)."""
    people = {m.id: m for m in ctx.mentions}
    if not people:
        # A name typed rather than picked after the @ reaches the bot as plain text: no one is mentioned.
        raise Refusal(f"请@一位群成员（先打 @，再从名单里点选这个人），例如：{example}")
    if len(people) != 1:
        raise Refusal(f"请只@一位群成员，例如：{example}")
    mention = next(iter(people.values()))
    admin = mention.id in ctx.settings.admin_ids  # an administrator takes no home building by being seen
    building_id = ctx.building.id if ctx.building and not admin else None
    member = await queries.get_or_create_member(ctx.session, mention.id, mention.name, ctx.now, building_id)
    if ctx.building is not None:  # one can @ only a group's members: they are in this group
        await membership.seen_in(ctx.session, member, ctx.message.room_id, ctx.now, admin=admin)
    return member


async def in_this_building(ctx: Context, model: type[T], letter: str, args: str, *, noun: str, example: str,
                           missing: str) -> tuple[T, str]:
    """The ``letter``<n> named at the start of ``args`` (locked for the change), and the rest of ``args``.

    ``missing`` ends the refusal when there is no such number in this building.
    """
    assert ctx.building is not None
    building_id = ctx.building.id
    return await _numbered(ctx, model, letter, args, noun, example, missing, "本楼",
                           lambda found: found.building_id == building_id)


async def in_this_group(ctx: Context, model: type[T], letter: str, args: str, *, noun: str, example: str,
                        missing: str) -> tuple[T, str]:
    """The same for what belongs to the group rather than to its building (a scheduled notice S<n>)."""
    room_id = ctx.message.room_id
    return await _numbered(ctx, model, letter, args, noun, example, missing, "本群",
                           lambda found: found.room_id == room_id)


async def _numbered(ctx: Context, model: type[T], letter: str, args: str, noun: str, example: str, missing: str,
                    place: str, here: Callable[[Any], bool]) -> tuple[T, str]:
    number, rest = take_ref(args, letter)
    if number is None:
        raise Refusal(f"请写上{noun}编号，例如：{example}")
    found = await ctx.session.get(model, number, with_for_update=True) if queries.could_be_id(number) else None
    if found is None or not here(found):
        raise Refusal(f"{place}没有{noun} {letter}{number}，{missing}")
    return found, rest
