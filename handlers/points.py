"""The love savings bank (爱心储蓄银行): claims for volunteer work, one's points, the ranking."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.core.context import Context, Refusal
from bot.core.lookup import one_mentioned
from bot.core.parser import normalise, parse_quantity
from bot.core.router import Router
from bot.core.rules import leader
from bot.core.text import local_time, short
from storage import chains, ledger, queries
from storage.catalogue import PATROL
from storage.models import Activity, Claim
from storage.ratings import star_rating

router = Router("points")


async def claimable_activities(ctx: Context) -> list[Activity]:
    rows = await ctx.session.scalars(select(Activity).where(Activity.active, Activity.name != PATROL)
                                     .order_by(Activity.id))
    return list(rows)


def _catalogue_line(activities: list[Activity]) -> str:
    return "、".join(f"{a.name}（{a.points}分/{a.unit}）" for a in activities)


@router.command("打卡", "claim", "积分申请", usage="#打卡 <活动> [数量]", summary="记录志愿活动，赚爱心积分")
async def claim(ctx: Context, args: str) -> str:
    """Claim points for an activity from the catalogue."""
    text = normalise(args)
    if text.startswith(PATROL):
        raise Refusal("巡查请发送 #巡查 [情况]，例如：#巡查 楼道通畅，消防通道无堆物")
    activities = await claimable_activities(ctx)
    activity = next((a for a in sorted(activities, key=lambda a: -len(a.name)) if text.startswith(a.name)), None)
    if activity is None:
        raise Refusal(f"请写上活动名称，例如：#打卡 捡垃圾。可打卡的活动：{_catalogue_line(activities)}")
    rest = text[len(activity.name):].strip()
    if not rest and activity.unit == "小时":
        raise Refusal(f"请写上小时数，例如：#打卡 {activity.name} 2（最多 {activity.max_quantity} 小时）")
    quantity = parse_quantity(rest) if rest else 1
    if quantity is None or not 1 <= quantity <= activity.max_quantity:
        raise Refusal(f"{activity.name}的数量应为 1 到 {activity.max_quantity} 之间的整数（单位：{activity.unit}），"
                      f"例如：#打卡 {activity.name} {min(2, activity.max_quantity)}")
    assert ctx.building is not None
    await ledger.lock_member(ctx.session, ctx.member.id)
    start, end = queries.day_bounds(ctx.now, ctx.settings.timezone)
    today = await chains.units_done(ctx.session, ctx.member.id, activity.id, start, end)
    over_cap = activity.daily_cap is not None and today + quantity > activity.daily_cap
    auto = activity.auto_approve and not over_cap
    if not auto:
        # Claims waiting for a leader are the leaders' work: one person cannot pile it up.
        waiting = int(await ctx.session.scalar(select(func.count(Claim.id)).where(
            Claim.member_id == ctx.member.id, Claim.status == "pending")) or 0)
        if waiting >= ctx.settings.pending_claims_per_person:
            raise Refusal(f"你已有 {waiting} 条打卡在等楼组长审核，审核后再提交新的吧。")
    points = activity.points * quantity
    record = Claim(member_id=ctx.member.id, building_id=ctx.building.id, activity_id=activity.id, quantity=quantity,
                   points=points, status="approved" if auto else "pending", created_at=ctx.now,
                   decided_at=ctx.now if auto else None)
    ctx.session.add(record)
    await ctx.session.flush()
    amount = f"{activity.name} {quantity}{activity.unit}"
    if auto:
        await ledger.post(ctx.session, member_id=ctx.member.id, building_id=ctx.building.id, amount=points,
                          kind="claim", reason=f"打卡 {amount}（自动通过）", author_id=ctx.member.id, now=ctx.now,
                          ref=("claim", record.id), message_id=ctx.message.id)
        balance = await queries.balance_of(ctx.session, ctx.member)
        return f"C{record.id} 已记录：{amount}，+{points} 分，当前积分 {balance} 分。谢谢你为楼里出力！"
    if over_cap:
        return (f"C{record.id} 已提交：{amount}（{points} 分）。今天的{activity.name}已达每日上限"
                f"（{activity.daily_cap}{activity.unit}），这一条请楼组长审核。")
    return f"C{record.id} 已提交：{amount}（{points} 分），等待楼组长审核。"


@router.command("我的积分", "积分", "points", usage="#我的积分", summary="查看自己的积分和本周排名")
async def my_points(ctx: Context) -> str:
    """Balance, this week's and this month's points, rank in the building this week."""
    assert ctx.building is not None
    tz = ctx.settings.timezone
    week = queries.week_bounds(ctx.now, tz)
    month = queries.month_bounds(ctx.now, tz)
    mine = await queries.points_summary(ctx.session, ctx.member, ctx.building, week, month)
    place = (f"本周在{ctx.building.name}排第 {mine.rank} 名（共 {mine.ranked} 人上榜）" if mine.rank
             else "本周还没有上榜，去 #打卡 吧")
    return f"你的爱心积分：余额 {mine.balance} 分；本周 {mine.week:+d}，本月 {mine.month:+d}；{place}。"


PER_PAGE = 10
LEDGER_EXAMPLE = "#积分明细 2"


@router.command("积分明细", "ledger", usage="#积分明细 [页]", summary="自己最近的积分记录，每页 10 条（楼组长可 @某人）")
async def ledger_lines(ctx: Context, args: str) -> str:
    """One's last 10 ledger lines (#积分明细 2: the 10 before); a leader may @ a person of this building."""
    assert ctx.building is not None
    text = normalise(args).removeprefix("第").removesuffix("页").strip()
    page = parse_quantity(text) if text else 1
    if page is None or page < 1:
        raise Refusal(f"页码要写数字，例如：{LEDGER_EXAMPLE}")
    whose = ctx.member
    if ctx.mentions:
        if not leader().allows(ctx):
            raise Refusal("只有楼组长可以查看别人的积分明细；发送 #积分明细 查看自己的。")
        whose = await one_mentioned(ctx, "#积分明细 @张阿姨")
        if whose.building_id != ctx.building.id:
            raise Refusal(f"{whose.display_name} 不是{ctx.building.name}的居民，请在他所在楼栋的群里查看。")
    lines, total = await ledger.history(ctx.session, whose.id, page, PER_PAGE)
    who = "你" if whose.id == ctx.member.id else whose.display_name
    if not total:
        return f"{who}还没有积分记录，去 #打卡 吧！"
    pages = (total + PER_PAGE - 1) // PER_PAGE
    if page > pages:
        raise Refusal(f"{who}的积分明细只有 {pages} 页，例如：#积分明细 {pages}")
    balance = await queries.balance_of(ctx.session, whose.id)
    tz = ctx.settings.timezone
    out = [f"{who}的积分明细（第 {page}/{pages} 页，余额 {balance} 分）："]
    out += [f"{local_time(e.created_at, tz, ctx.now)} {e.amount:+d} {short(e.reason, 30)}" for e in lines]
    if page < pages:
        mention = f"@{whose.display_name} " if whose.id != ctx.member.id else ""
        out.append(f"更早的记录：#积分明细 {mention}{page + 1}")
    return "\n".join(out)


@router.command("排行", "排行榜", "rank", usage="#排行", summary="本周本楼积分前 10 名和本楼星级")
async def ranking(ctx: Context) -> str:
    """This week's top 10 of this building, and the building's star rating."""
    assert ctx.building is not None
    week = queries.week_bounds(ctx.now, ctx.settings.timezone)
    top = await queries.building_ranking(ctx.session, ctx.building, *week, limit=10)
    rating = await star_rating(ctx.session, ctx.building, *week, ctx.settings)
    lines = [f"本周{ctx.building.name}爱心积分榜："]
    lines += [f"{rank}. {member.display_name} {points} 分" for rank, member, points in top] or ["还没有人上榜，快来 #打卡 吧！"]
    lines.append(rating.line())
    return "\n".join(lines)
