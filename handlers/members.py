"""Finding the people a command is about: the ones @-mentioned in it."""

from __future__ import annotations

from bot.core.context import Context, Refusal
from storage import queries
from storage.models import Member


async def one_mentioned(ctx: Context, example: str) -> Member:
    """The single person @-mentioned in the command (created on first sight)."""
    people = {m.id: m for m in ctx.mentions}
    if len(people) != 1:
        raise Refusal(f"请@一位群成员，例如：{example}")
    mention = next(iter(people.values()))
    building_id = ctx.building.id if ctx.building else None
    return await queries.get_or_create_member(ctx.session, mention.id, mention.name, ctx.now, building_id)
