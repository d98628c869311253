"""Sign-up chains (接龙) on the clock: the reminder before the activity, and closing a day after it."""

from __future__ import annotations

from bot.core.messages import Reply
from bot.core.text import short
from schedules.registry import JobContext, jobs
from storage import chains as store


@jobs.job("chain_reminders", at="LOUZU_CHAIN_REMINDERS_AT", default="*/5 * * * *",
          summary="a chain's reminder at the time its leader set (1 hour before by default): one post @-mentioning "
                  "everyone signed up; held through the quiet hours")
async def chain_reminders(ctx: JobContext) -> list[Reply]:
    """One post per chain whose reminder time has come, @-mentioning the signed-up (and who signed others up)."""
    posts = []
    for chain in await store.due_reminders(ctx.session, ctx.now):
        chain.reminded_at = ctx.now
        roll = await store.roll(ctx.session, chain.id)
        if not roll.signed:
            continue
        mention = await store.wechat_ids(ctx.session, [s.member_id for s in roll.signed])
        names = "、".join(s.name for s in roll.signed)
        posts.append(Reply(chain.room_id, f"【接龙提醒】J{chain.id} {short(chain.title, 20)} {chain.when_text} 开始，"
                                          f"已报名 {len(roll.signed)} 人：{names}。请准时参加；去不了请发送 "
                                          f"#取消报名 J{chain.id}", tuple(mention)))
    return posts


@jobs.job("close_chains", at="LOUZU_CHAIN_CLOSE_AT", default="20 * * * *",
          summary="nothing: a chain closes by itself a day after its time (attendance can be marked until then)")
async def close_chains(ctx: JobContext) -> list[Reply]:
    """Close the chains whose time was more than a day ago; nobody is told (the activity is over)."""
    for chain in await store.due_to_close(ctx.session, ctx.now):
        chain.status, chain.closed_at = store.CLOSED, ctx.now
    return []
