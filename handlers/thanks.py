"""#点赞 and #巡查: thanking cleaners and volunteers, recording patrols."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.core.context import Context, Refusal
from bot.core.lookup import one_mentioned
from bot.core.router import Router
from bot.core.rules import patroller
from storage import ledger, queries
from storage.catalogue import PATROL
from storage.models import Activity, Patrol, Thanks
from storage.ratings import patrol_days

router = Router("thanks", topic="积分")

THANKS_POINTS = 1


@router.command("点赞", "thanks", usage="#点赞 @某人 [理由]", example="#点赞 @王师傅 楼道扫得真干净", summary="感谢保洁员、志愿者（对方 +1 分）")
async def thank(ctx: Context, args: str):
    """Thank someone: a point to them, a few per giver per day, never to oneself."""
    target = await one_mentioned(ctx, "#点赞 @王师傅 楼道扫得真干净")
    if target.id == ctx.member.id:
        raise Refusal("不能给自己点赞哦，去感谢一下帮过你的邻居吧。")
    assert ctx.building is not None
    await ledger.lock_member(ctx.session, ctx.member.id)
    start, end = queries.day_bounds(ctx.now, ctx.settings.timezone)
    today = list(await ctx.session.scalars(select(Thanks.receiver_id).where(
        Thanks.giver_id == ctx.member.id, Thanks.created_at >= start, Thanks.created_at < end)))
    if target.id in today:
        raise Refusal(f"你今天已经为 {target.display_name} 点过赞了，明天再来吧。")
    if len(today) >= ctx.settings.thanks_per_day:
        raise Refusal(f"每人每天最多点赞 {ctx.settings.thanks_per_day} 次，今天的已用完，明天再来吧。")
    reason = ctx.as_typed(args)[:200]
    thanks = Thanks(giver_id=ctx.member.id, receiver_id=target.id, building_id=ctx.building.id, reason=reason,
                    created_at=ctx.now)
    ctx.session.add(thanks)
    await ctx.session.flush()
    await ledger.post(ctx.session, member_id=target.id, building_id=ctx.building.id, amount=THANKS_POINTS,
                      kind="thanks", reason=f"{ctx.member.display_name} 点赞" + (f"：{reason}" if reason else ""),
                      author_id=ctx.member.id, now=ctx.now, ref=("thanks", thanks.id), message_id=ctx.message.id)
    said = f"：{reason}" if reason else ""
    return ctx.reply(f"{ctx.member.display_name} 为你点赞{said}！+{THANKS_POINTS} 分", mention=(target.wechat_id,))


@router.command("巡查", "patrol", permission=patroller(), usage="#巡查 [情况]", example="#巡查 楼道通畅", summary="记录一次巡查（党员、志愿者）")
async def patrol(ctx: Context, args: str) -> str:
    """Record a patrol; points per the catalogue's 巡查 entry, up to its daily cap."""
    assert ctx.building is not None
    note = ctx.as_typed(args)[:500]
    await ledger.lock_member(ctx.session, ctx.member.id)
    start, end = queries.day_bounds(ctx.now, ctx.settings.timezone)
    done_today = int(await ctx.session.scalar(select(func.count(Patrol.id)).where(
        Patrol.member_id == ctx.member.id, Patrol.created_at >= start, Patrol.created_at < end)) or 0)
    record = Patrol(member_id=ctx.member.id, building_id=ctx.building.id, note=note, created_at=ctx.now)
    ctx.session.add(record)
    await ctx.session.flush()
    entry = await ctx.session.scalar(select(Activity).where(Activity.name == PATROL, Activity.active))
    earned = ""
    if entry is not None and (entry.daily_cap is None or done_today < entry.daily_cap):
        await ledger.post(ctx.session, member_id=ctx.member.id, building_id=ctx.building.id, amount=entry.points,
                          kind="patrol", reason="巡查" + (f"：{note}" if note else ""), author_id=ctx.member.id,
                          now=ctx.now, ref=("patrol", record.id), message_id=ctx.message.id)
        earned = f"，+{entry.points} 分"
    elif entry is not None:
        earned = f"。巡查每天最多加 {entry.daily_cap} 次分，这次不加分，记录照样留着"
    week_start, week_end = queries.week_bounds(ctx.now, ctx.settings.timezone)
    days = await patrol_days(ctx.session, ctx.building.id, week_start, week_end, ctx.settings.timezone)
    said = f"：{note}" if note else ""
    return (f"已记录巡查（今天第 {done_today + 1} 次）{said}{earned}。"
            f"本周{ctx.building.name} 7 天里已有 {days} 天有人巡查。")
