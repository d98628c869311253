"""Leaders' notices: #通知 now (in this group, or 全部 groups), #定时 scheduled S<n>, list and cancel.

Posts are kept in the outbox in the message's own transaction and sent after it
commits; a scheduled notice is a row, and the scheduler's job follows the row
(brought in line after the commit, and the job checks the row when it fires).
"""

from __future__ import annotations

import math

from bot.core.context import Context, Refusal
from bot.core.lookup import in_this_group
from bot.core.messages import Reply
from bot.core.outbox import AfterCommit, in_quiet_hours
from bot.core.parser import normalise
from bot.core.router import Router
from bot.core.rules import leader
from bot.core.text import local_time, short
from schedules.phrases import EXAMPLE, PhraseError, parse_when
from schedules.posts import next_time
from storage import notices as store
from storage import outbox, presence
from storage.models import ScheduledNotice
from storage.queries import bound_rooms, rooms_of

router = Router("notices", topic="通知")

EVERYWHERE = "全部"
MAX_TEXT = 1000
MAX_PER_GROUP = 20


def _content(text: str, example: str) -> str:
    text = text.strip()
    if not text:
        raise Refusal(f"请写上通知内容，例如：{example}")
    if len(text) > MAX_TEXT:
        raise Refusal(f"通知最多 {MAX_TEXT} 字，现在有 {len(text)} 字，请分几条发。")
    return text


@router.command("通知", "notice", permission=leader(), bound=False, usage="#通知 <内容>", example="#通知 本周六上午9点楼道大扫除",
                summary="在本楼的群发通知（管理员写 #通知 全部 <内容> 发到所有楼组群）")
async def notice(ctx: Context, args: str):
    """Post a notice now in each group of this building; an administrator's `#通知 全部 <内容>` goes to every bound group."""
    first, _, rest = normalise(args).partition(" ")
    everywhere = first == EVERYWHERE
    if everywhere and not ctx.is_admin:
        raise Refusal("#通知 全部 只有居委会管理员可以使用；在本群发通知请发送，例如：#通知 本周六上午9点楼道大扫除")
    text = _content(rest if everywhere else normalise(args), "#通知 全部 本周六上午9点消防演练" if everywhere
                    else "#通知 本周六上午9点楼道大扫除")
    text = ctx.as_typed(text)
    signed = f"【通知】{text}\n——{ctx.member.display_name}"
    if not everywhere:  # every group of this building, this one first: a building may have two
        here = ctx.message.room_id
        rooms = [here] + [room for room in (await rooms_of(ctx.session, ctx.building.id) if ctx.building else [])
                          if room != here]
        await outbox.enqueue(ctx.session, [Reply(room, signed) for room in rooms], batch=f"通知 {ctx.message.id}",
                             now=ctx.now, hold_quiet=False, priority=outbox.NOW_FIRST)
        return AfterCommit("outbox")
    rooms = [room for room, _ in await bound_rooms(ctx.session)]
    if not rooms:
        raise Refusal("还没有绑定楼栋的群，先在各楼组群发送 #绑定 和楼号，例如：#绑定 12号楼")
    await outbox.enqueue(ctx.session, [Reply(room, signed) for room in rooms], batch=f"通知全部 {ctx.message.id}",
                         now=ctx.now, hold_quiet=False)
    low, high = ctx.settings.pace_seconds
    senders = max(1, await presence.live_count(ctx.session, ctx.now - ctx.settings.silent_after))  # each paced
    minutes = math.ceil(len(rooms) * (low + high) / 2 / 60 / senders)
    return [ctx.reply(f"通知已排队发往 {len(rooms)} 个楼组群，逐个发出，约 {minutes} 分钟发完。"), AfterCommit("outbox")]


@router.command("定时", "schedule", permission=leader(), usage="#定时 <何时> <内容>", example="#定时 每周六 09:00 请大家清理门前杂物",
                summary="定时通知：每天 7:30、每周三 下午2点、明早8点、下周一 9点、12月1日 9:00")
async def schedule(ctx: Context, args: str):
    """A scheduled notice S<n> in this group, once or repeating."""
    assert ctx.building is not None
    tz = ctx.settings.timezone
    try:
        parsed = parse_when(normalise(args), ctx.now, tz)
    except PhraseError as error:
        raise Refusal(str(error)) from None
    if parsed is None:
        raise Refusal(f"没看懂时间，可以这样写：{EXAMPLE}")
    when, rest = parsed
    text = ctx.as_typed(_content(rest, f"#定时 {when.text} 请大家清理门前杂物"))
    if when.run_at is not None and when.run_at <= ctx.now:
        raise Refusal(f"{when.text} 已经过去了，请写一个以后的时间，例如：#定时 明天 08:30 {text[:10]}")
    if await store.count_of_room(ctx.session, ctx.message.room_id) >= MAX_PER_GROUP:
        raise Refusal(f"本群已有 {MAX_PER_GROUP} 条定时通知，请先取消不需要的（#定时列表 查看编号，例如：#取消定时 S3）。")
    row = ScheduledNotice(room_id=ctx.message.room_id, building_id=ctx.building.id, author_id=ctx.member.id,
                          text=text, when_text=when.text, cron=when.cron, run_at=when.run_at, status=store.ACTIVE,
                          created_at=ctx.now)
    ctx.session.add(row)
    await ctx.session.flush()
    first = next_time(row, ctx.now, tz)
    held = ""
    if first is not None and in_quiet_hours(first, ctx.settings.quiet_hours):
        quiet_start, quiet_end = ctx.settings.quiet_hours  # type: ignore[misc]
        held = f"（{quiet_start:%H:%M}–{quiet_end:%H:%M} 是免打扰时段，会在 {quiet_end:%H:%M} 后发出）"
    return [ctx.reply(f"S{row.id} 已设定：{when.text} 在本群发送“{short(text, 21)}”{held}。"
                      f"发送 #定时列表 查看，#取消定时 S{row.id} 取消。"), AfterCommit("notices")]


@router.command("定时列表", "schedules", permission=leader(), usage="#定时列表", summary="本群的定时通知")
async def list_scheduled(ctx: Context) -> str:
    """This group's scheduled notices that are still to go out."""
    tz = ctx.settings.timezone
    rows = await store.of_room(ctx.session, ctx.message.room_id)
    if not rows:
        return "本群没有定时通知。设定请发送，例如：#定时 每周六 09:00 请大家清理门前杂物"
    lines = [f"本群的定时通知（取消发送，例如：#取消定时 S{rows[0].id}）："]
    for row in rows:
        upcoming = next_time(row, ctx.now, tz)
        after = f"，下次 {local_time(upcoming, tz)}" if upcoming and row.cron else ""
        lines.append(f"S{row.id} {row.when_text}{after}：{short(row.text, 21)}")
    return "\n".join(lines)


@router.command("取消定时", "unschedule", permission=leader(), usage="#取消定时 S<n>", example="#取消定时 S3", summary="取消本群的定时通知")
async def unschedule(ctx: Context, args: str):
    """Cancel one of this group's scheduled notices."""
    row, _ = await in_this_group(ctx, ScheduledNotice, "S", args, noun="定时通知", missing="发送 #定时列表 查看本群的定时通知。",
                                 example="#取消定时 S3（发送 #定时列表 查看编号）")
    if row.status != store.ACTIVE:
        done = {store.DONE: "已经发出", store.CANCELLED: "已经取消了", store.MISSED: "已错过发送时间"}
        raise Refusal(f"S{row.id} {done.get(row.status, row.status)}，无需取消。")
    row.status, row.cancelled_by, row.cancelled_at = store.CANCELLED, ctx.member.id, ctx.now
    return [ctx.reply(f"S{row.id}（{row.when_text}：{short(row.text, 21)}）已取消。"), AfterCommit("notices")]
