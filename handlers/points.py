"""The love savings bank (爱心储蓄银行): claims for volunteer work, one's points, the ranking."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from bot.core.context import Context, Refusal
from bot.core.lookup import one_mentioned
from bot.core.parser import Amount, normalise, parse_quantity, simplified, take_amount, undecorated
from bot.core.router import Router
from bot.core.rules import leader
from bot.core.text import local_time, no_such, short
from storage import chains, ledger, queries
from storage.catalogue import PATROL
from storage.models import Activity, Claim
from storage.ratings import star_rating

router = Router("points", topic="积分")


async def claimable_activities(ctx: Context) -> list[Activity]:
    rows = await ctx.session.scalars(select(Activity).where(Activity.active, Activity.name != PATROL)
                                     .order_by(Activity.id))
    return list(rows)


def _catalogue_line(activities: list[Activity]) -> str:
    return "、".join(f"{a.name}（{a.points}分/{a.unit}）" for a in activities)


@router.command("打卡", "claim", "积分申请", usage="#打卡 <活动> [数量]", example="#打卡 捡垃圾", common=True,
                summary="记录志愿活动，赚爱心积分")
async def claim(ctx: Context, args: str) -> str:
    """Claim points for an activity from the catalogue; what fits under the daily cap is recorded at once,
    the rest waits for a leader."""
    plain = undecorated(args)
    text = simplified(plain)
    if text.startswith(PATROL):
        raise Refusal("巡查请发送 #巡查，例如：#巡查 楼道通畅，消防通道无堆物")
    activities = await claimable_activities(ctx)
    activity = next((a for a in sorted(activities, key=lambda a: -len(a.name))
                     if text.startswith(simplified(a.name))), None)
    if activity is None:
        raise Refusal(_no_such_activity(text, activities))
    rest = text[len(activity.name):].strip()
    amount = take_amount(rest)
    if amount is None and re.match(r"[-+.\d零两半]", rest):
        amount = Amount(0, rest, "")  # a number that is none: refused with the example below
    if amount is None and activity.unit == "小时":
        raise Refusal(f"请写上做了几小时，例如：#打卡 {activity.name} 2（最多 {activity.max_quantity} 小时）")
    quantity, rounded = _whole_units(amount, activity)
    note = rest if amount is None else amount.note
    note = ctx.as_typed(plain[len(plain) - len(note):] if len(plain) == len(text) else note)[:MAX_NOTE] if note else ""
    assert ctx.building is not None
    await ledger.lock_member(ctx.session, ctx.member.id)
    start, end = queries.day_bounds(ctx.now, ctx.settings.timezone)
    today = await chains.units_done(ctx.session, ctx.member.id, activity.id, start, end)
    # Under the daily cap a claim is recorded at once (where the activity allows it); what is over it waits.
    fits = quantity if activity.daily_cap is None else max(0, min(quantity, activity.daily_cap - today))
    now_part = fits if activity.auto_approve else 0
    review_part = quantity - now_part
    if review_part:
        # Claims waiting for a leader are the leaders' work: one person cannot pile it up.
        waiting = int(await ctx.session.scalar(select(func.count(Claim.id)).where(
            Claim.member_id == ctx.member.id, Claim.status == "pending")) or 0)
        if waiting >= ctx.settings.pending_claims_per_person:
            raise Refusal(f"你已有 {waiting} 条打卡在等楼组长审核，审核后再提交新的吧。")
    lines = [rounded] if rounded else []
    noted = f"{short(note, 20)}，" if note else ""
    kept = f"（{short(note, 20)}）" if note else ""
    if now_part:
        record = await _record(ctx, activity, now_part, note, approved=True)
        await ledger.post(ctx.session, member_id=ctx.member.id, building_id=ctx.building.id, amount=record.points,
                          kind="claim", reason=f"打卡 {record.described()}（自动通过）", author_id=ctx.member.id,
                          now=ctx.now, ref=("claim", record.id), message_id=ctx.message.id)
        balance = await queries.balance_of(ctx.session, ctx.member)
        lines.append(f"C{record.id} 已记录：{record.described()}{kept}，+{record.points} 分，当前积分 {balance} 分。"
                     + ("" if review_part else "谢谢你为楼里出力！"))
    if review_part:
        record = await _record(ctx, activity, review_part, note, approved=False)
        if fits == quantity:
            lines.append(f"C{record.id} 已提交：{record.described()}（{noted}{record.points} 分），等待楼组长审核。")
        elif not now_part:
            lines.append(f"C{record.id} 已提交：{record.described()}（{noted}{record.points} 分）。今天的{activity.name}"
                         f"已达每日上限（{activity.daily_cap}{activity.unit}），这一条请楼组长审核。")
        else:
            lines.append(f"{activity.name}每天最多记 {activity.daily_cap}{activity.unit}，多出的 {review_part}{activity.unit}"
                         f"已提交为 C{record.id}（{record.points} 分），请楼组长审核。")
    return "\n".join(lines)


MAX_NOTE = 200


async def _record(ctx: Context, activity: Activity, quantity: int, note: str, *, approved: bool) -> Claim:
    assert ctx.building is not None
    record = Claim(member_id=ctx.member.id, building_id=ctx.building.id, activity_id=activity.id, quantity=quantity,
                   points=activity.points * quantity, status="approved" if approved else "pending", note=note,
                   created_at=ctx.now, decided_at=ctx.now if approved else None)
    record.activity = activity
    ctx.session.add(record)
    await ctx.session.flush()
    return record


def _whole_units(amount: Amount | None, activity: Activity) -> tuple[int, str]:
    """Whole units of ``activity`` for ``amount``, and the line that says how a part hour was counted.

    Hours are rounded to the nearest whole hour, a half hour up (半小时 → 1 小时, 1.5 小时 → 2 小时);
    other units (次) are whole numbers only."""
    example = f"#打卡 {activity.name} {min(2, activity.max_quantity)}"
    value = 1.0 if amount is None else amount.value
    if activity.unit == "小时":
        quantity = int(value + 0.5)
    else:
        quantity = int(value) if value == int(value) else 0
    if not 1 <= quantity <= activity.max_quantity:
        raise Refusal(f"{activity.name}的数量应为 1 到 {activity.max_quantity} 之间的整数（单位：{activity.unit}），"
                      f"例如：{example}")
    rounded = ""
    if amount is not None and value != quantity:
        rounded = f"{amount.typed}按 {quantity} 小时记（满半小时算一小时，不满半小时不算）。"
    return quantity, rounded


def _no_such_activity(text: str, activities: list[Activity]) -> str:
    """The refusal for a name that is no activity: the closest ones, or the list."""
    named = re.split(r"[\s\d]", text, maxsplit=1)[0] if text else ""
    names = [a.name for a in activities]
    if not named:
        return f"请写上做了什么活动，例如：#打卡 {names[0] if names else '捡垃圾'}。可打卡的活动：{_catalogue_line(activities)}"
    return no_such("活动", named, names, "打卡", f"可打卡的活动：{_catalogue_line(activities)}")


@router.command("我的积分", "积分", "points", usage="#我的积分", common=True, summary="查看自己的积分和本周排名")
async def my_points(ctx: Context) -> str:
    """Balance, this week's and this month's points, rank in the building this week."""
    assert ctx.building is not None
    tz = ctx.settings.timezone
    week = queries.week_bounds(ctx.now, tz)
    month = queries.month_bounds(ctx.now, tz)
    mine = await queries.points_summary(ctx.session, ctx.member, ctx.building, week, month)
    place = (f"本周在{ctx.building.name}排第 {mine.rank} 名（共 {mine.ranked} 人上榜）" if mine.rank
             else "本周还没有上榜，去 #打卡 吧")
    return f"你的爱心积分：余额 {mine.balance} 分；{_gained('本周', mine.week)}，{_gained('本月', mine.month)}；{place}。"


def _gained(period: str, points: int) -> str:
    """本周得 12 分 / 本周还没得分 / 本周少了 3 分 (deductions outweighed): never "本周 +0"."""
    if points > 0:
        return f"{period}得 {points} 分"
    return f"{period}少了 {-points} 分" if points else f"{period}还没得分"


PER_PAGE = 10
LEDGER_EXAMPLE = "#积分明细 2"


@router.command("积分明细", "ledger", usage="#积分明细 [页]", example="#积分明细", summary="自己最近的积分记录，每页 10 条（楼组长可 @某人）")
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


@router.command("排行", "排行榜", "rank", usage="#排行", common=True, summary="本周本楼积分前 10 名和本楼星级")
async def ranking(ctx: Context) -> str:
    """This week's top 10 of this building, and the building's star rating."""
    assert ctx.building is not None
    week = queries.week_bounds(ctx.now, ctx.settings.timezone)
    ranking = (await queries.building_rankings(ctx.session, *week, 10, [ctx.building.id])).get(ctx.building.id)
    rating = await star_rating(ctx.session, ctx.building, *week, ctx.settings)
    lines = [f"本周{ctx.building.name}爱心积分榜："]
    lines += [f"{place.rank}. {place.name} {place.points} 分" for place in ranking.places] if ranking else [
        "还没有人上榜，快来 #打卡 吧！"]
    lines.append(rating.line())
    return "\n".join(lines)
