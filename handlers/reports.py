"""Reports (随手拍): residents tell the building's leaders what needs fixing, and see it through."""

from __future__ import annotations

import asyncio
from bot.core.messages import Reply
from bot.core.settings import CategoryTable
from bot.core.text import headline, local_time, short, waited
from bot.core.context import Context, Refusal
from bot.core.lookup import one_mentioned
from bot.core.parser import normalise, simplified, take_ref
from bot.core.router import Router
from bot.core.rules import leader
from storage import ledger, queries
from storage import reports as store
from storage.models import Member, Report
from storage.reports import ASSIGNED, CLOSED, OPEN, RESOLVED

router = Router("reports", topic="报修")

# Category, and the words that suggest it; the first category with a matching word wins, so
# hazards come first ("电动车在楼道充电" is a fire risk before it is a parking problem).
# LOUZU_REPORT_CATEGORIES can name a JSON file with another table.
CATEGORY_WORDS: CategoryTable = (
    ("安全/消防", ("安全", "消防", "灭火器", "电线", "飞线", "充电", "漏电", "冒烟", "起火", "煤气", "燃气")),
    ("楼道堆物", ("堆物", "杂物", "堆放", "纸箱", "楼道堆", "堆了", "堆着", "乱堆", "堆满", "旧家具", "占用楼道")),
    ("乱停车", ("停车", "电动车", "自行车", "车辆", "占道")),
    ("垃圾", ("垃圾",)),
    ("环境卫生", ("卫生", "清洁", "脏", "异味", "臭")),
    ("噪音", ("噪音", "噪声", "吵")),
    ("设施", ("灯", "电梯", "门禁", "单元门", "门锁", "水管", "漏水", "渗水", "下水道", "扶手", "窗", "坏了",
            "损坏", "坏掉", "不亮", "维修", "信箱", "监控")),
)
OTHER = "其他"
MAX_DESCRIPTION = 500
MAX_NOTE = 200

LIST_LIMIT = 20


def guess_category(text: str, table: CategoryTable | None = None) -> str:
    for category, words in table or CATEGORY_WORDS:
        if any(word in text for word in words):
            return category
    return OTHER


# How things read in the group --------------------------------------------------------------

def file_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.3g} MB"
    return f"{size // 1024} KB"


# Finding the report a command is about ---------------------------------------------------

async def _report(ctx: Context, number: int, *, lock: bool = True) -> Report:
    """R<number> of this building, locked (by default) for the change the command makes."""
    report = await store.get_report(ctx.session, number, lock=lock)
    assert ctx.building is not None
    # Another building's report is answered exactly like one that does not exist: no telling what is elsewhere.
    if report is None or report.building_id != ctx.building.id:
        raise Refusal(f"没有找到 R{number}，请检查编号；发送 #进度 查看本楼的报修。")
    return report


async def _numbered(ctx: Context, args: str, example: str) -> tuple[Report, str]:
    number, rest = take_ref(args, "R")
    if number is None:
        raise Refusal(f"请写上报修编号，例如：{example}")
    return await _report(ctx, number), rest


async def _own_resolved(ctx: Context, args: str, example: str) -> tuple[Report, str]:
    """The report named in ``args``; without a number, the sender's one report waiting for their answer."""
    number, rest = take_ref(args, "R")
    if number is not None:
        return await _report(ctx, number), rest
    assert ctx.building is not None
    waiting = [r for r in await store.not_closed_of(ctx.session, ctx.member, ctx.building.id) if r.status == RESOLVED]
    if len(waiting) != 1:
        raise Refusal(f"请写上报修编号，例如：{example}")
    return await _report(ctx, waiting[0].id), normalise(args)


async def _awaiting_answer(ctx: Context, args: str, example: str, *, not_reporter: str,
                           not_resolved: str) -> tuple[Report, str]:
    """The sender's own resolved report named in ``args``: what #确认 and #未解决 answer.

    ``not_reporter`` and ``not_resolved`` end the refusals ("{n}" is the report number,
    "{status}" its state).
    """
    report, rest = await _own_resolved(ctx, args, example)
    if report.reporter_id != ctx.member.id:
        raise Refusal(not_reporter.format(n=report.id, status=store.status_label(report)))
    if report.status == CLOSED:
        raise _closed(report)
    if report.status != RESOLVED:
        raise Refusal(not_resolved.format(n=report.id, status=store.status_label(report)))
    return report, rest


def _closed(report: Report) -> Refusal:
    if report.duplicate_of_id:
        return Refusal(f"R{report.id} 已合并到 R{report.duplicate_of_id}，请发送 #进度 R{report.duplicate_of_id} 查看。")
    return Refusal(f"R{report.id} 已关闭。如果问题又出现了，请重新发送 #报修 和问题，例如：#报修 3楼楼道堆了纸箱。")


def _note(text: str) -> str:
    text = text.strip()
    if len(text) > MAX_NOTE:
        raise Refusal(f"说明太长了（{len(text)} 字），请控制在 {MAX_NOTE} 字以内。")
    return text


# Photos -----------------------------------------------------------------------------------

async def _save_photo(ctx: Context) -> store.SavedPhoto:
    attachment = ctx.message.attachment
    assert attachment is not None
    return await asyncio.to_thread(store.save_photo, attachment.path, ctx.settings.media_dir,
                                   ctx.settings.max_photo_bytes)


@router.attachment()
async def photo_sent(ctx: Context) -> str | None:
    """A picture sent without a command: it joins the sender's #报修 from the last 2 minutes, or waits for one."""
    attachment = ctx.message.attachment
    if attachment is None or attachment.kind != "image":
        return None
    await store.purge_pending_photos(ctx.session, ctx.now, ctx.settings.media_dir)
    report = await store.just_opened_by(ctx.session, ctx.member, ctx.message.room_id, ctx.now)
    try:
        photo = await _save_photo(ctx)
    except store.PhotoTooLarge:
        if report is None:
            return None  # ordinary chat stays unanswered
        return f"照片超过 {file_size(ctx.settings.max_photo_bytes)}，没有附到 R{report.id}，请压缩后再发。"
    except store.NotAPicture:
        return None
    if report is None:
        await store.keep_pending_photo(ctx.session, ctx.message.room_id, ctx.message.sender_id, photo, ctx.now)
        return None
    if not await store.attach_photo(ctx.session, report, photo, ctx.now, ctx.member):
        return f"这张照片已经附在 R{report.id} 上了。"
    # Remembered with its time: a #报修 the same person sends next, nearer to it, takes it over.
    await store.keep_pending_photo(ctx.session, ctx.message.room_id, ctx.message.sender_id, photo, ctx.now, report)
    return f"照片已附到 R{report.id}。"


# Commands ------------------------------------------------------------------------------------

@router.command("报修", "反映", "随手拍", "report", usage="#报修 <描述>", example="#报修 3楼楼道堆了纸箱", common=True, summary="反映楼里的问题（可附照片）")
async def open_report(ctx: Context, args: str) -> str:
    """Open a report for this building."""
    description = ctx.as_typed(args)
    if not description:
        raise Refusal("请写上问题描述，例如：#报修 3楼楼道堆了纸箱")
    if len(description) > MAX_DESCRIPTION:
        raise Refusal(f"描述太长了（{len(description)} 字），请控制在 {MAX_DESCRIPTION} 字以内。")
    assert ctx.building is not None
    # One person's flood of reports would become a flood of overdue posts to the leaders later.
    waiting = [r for r in await store.not_closed_of(ctx.session, ctx.member, ctx.building.id) if r.status != RESOLVED]
    if len(waiting) >= ctx.settings.open_reports_per_person:
        raise Refusal(f"你已有 {len(waiting)} 件报修还在等处理，处理好后再报新的吧；发送 #进度 查看。")
    category = guess_category(simplified(description), ctx.settings.report_categories)
    report = await store.open_report(ctx.session, building=ctx.building, reporter=ctx.member,
                                     room_id=ctx.message.room_id, category=category, description=description,
                                     now=ctx.now)
    photos, problem = 0, ""
    attachment = ctx.message.attachment
    if attachment is not None and attachment.kind == "image":  # #报修 as a photo's caption
        try:
            photos += int(await store.attach_photo(ctx.session, report, await _save_photo(ctx), ctx.now, ctx.member))
        except store.PhotoTooLarge:
            problem = f"照片超过 {file_size(ctx.settings.max_photo_bytes)}，没有附上，请压缩后再发。"
        except store.NotAPicture:
            problem = "附件不是图片，没有附上。"
    moved_from = []
    for pending in await store.waiting_photos(ctx.session, ctx.message.room_id, ctx.message.sender_id, ctx.now):
        if pending.report_id is not None:
            moved_from.append(await store.move_photo(ctx.session, pending, report, ctx.now, ctx.member))
        pending.report_id = report.id
        photos += int(await store.attach_photo(ctx.session, report, store.SavedPhoto(pending.path, pending.sha256),
                                               ctx.now, ctx.member))
    lines = [f"已登记 R{report.id}（{category}）：{description}"]
    if photos:
        lines.append(f"已附照片 {photos} 张。")
        if moved_from:
            earlier = "、".join(dict.fromkeys(f"R{r.id}" for r in moved_from))
            lines.append(f"刚才附到 {earlier} 的照片离这次报修更近，已改附到 R{report.id}。")
    elif problem:
        lines.append(problem)
    else:
        lines.append("2 分钟内发来的照片会自动附上。")
    lines.append(f"楼组长会尽快处理，发送 #进度 R{report.id} 查看进度。")
    similar = await store.similar_open(ctx.session, report) if category != OTHER else None
    if similar is not None:
        lines.append(f"提示：可能与 R{similar.id} 相同（{local_time(similar.created_at, ctx.settings.timezone)} 登记："
                     f"{short(similar.description)}），楼组长确认后可发送 #合并 R{report.id} R{similar.id}。")
    return "\n".join(lines)


@router.command("进度", "status", usage="#进度 [R<n>]", example="#进度 R5", summary="查看报修进度；不写编号看自己的报修")
async def progress(ctx: Context, args: str) -> str:
    """A report's state and history; without a number, one's open reports (a leader: the building's)."""
    assert ctx.building is not None
    tz = ctx.settings.timezone
    if args.strip():
        number, rest = take_ref(args, "R")
        if number is None or rest:
            raise Refusal("请写上报修编号，例如：#进度 R5；只发 #进度 查看自己的报修。")
        return await _details(ctx, await _report(ctx, number, lock=False))
    if leader().allows(ctx):
        reports = await store.not_closed_in(ctx.session, ctx.building.id)
        if not reports:
            return f"{ctx.building.name}目前没有未关闭的报修。"
        lines = [f"{ctx.building.name}未关闭的报修 {len(reports)} 件（最早的在前）："]
        lines += [f"R{r.id} {r.category} · {store.status_label(r)} · {waited(ctx.now - r.created_at)} · {short(r.description)}"
                  for r in reports[:LIST_LIMIT]]
    else:
        reports = await store.not_closed_of(ctx.session, ctx.member, ctx.building.id)
        if not reports:
            return "你目前没有未关闭的报修。发现问题请发送 #报修 和问题，例如：#报修 3楼楼道堆了纸箱"
        lines = [f"你未关闭的报修 {len(reports)} 件："]
        lines += [f"R{r.id} {r.category} · {store.status_label(r)} · {local_time(r.created_at, tz)} 登记 · "
                  f"{short(r.description)}" for r in reports[:LIST_LIMIT]]
    if len(reports) > LIST_LIMIT:
        lines.append(f"……还有 {len(reports) - LIST_LIMIT} 件。")
    lines.append(f"看某一件的详情，例如：#进度 R{reports[0].id}")
    return "\n".join(lines)


async def _details(ctx: Context, report: Report) -> str:
    tz = ctx.settings.timezone
    photos = len(await store.photos_of(ctx.session, report.id))
    lines = [f"R{report.id} · {report.category} · {store.status_label(report)}",
             report.description + (f"（照片 {photos} 张）" if photos else "")]
    lines += [f"{local_time(step.event.created_at, tz)} {store.step_text(step)}"
              for step in await store.history(ctx.session, report.id)]
    if report.status == RESOLVED and report.resolved_at is not None:
        hours = int(store.CONFIRM_WITHIN.total_seconds() // 3600)
        lines.append(f"等报修人 #确认 或 #未解决；{local_time(report.resolved_at + store.CONFIRM_WITHIN, tz)}"
                     f" 前没有回复将自动关闭（{hours} 小时）。")
    return "\n".join(lines)


@router.command("指派", "assign", permission=leader(), usage="#指派 R<n> @某人", example="#指派 R5 @王师傅", summary="把报修指派给某人处理")
async def assign(ctx: Context, args: str) -> Reply:
    """Assign a report to someone who will fix it."""
    report, _ = await _numbered(ctx, args, "#指派 R5 @王师傅")
    if report.status == CLOSED:
        raise _closed(report)
    if report.status == RESOLVED:
        raise Refusal(f"R{report.id} 已处理，正在等报修人确认；如没解决，报修人可发送 #未解决 R{report.id}。")
    person = await one_mentioned(ctx, f"#指派 R{report.id} @王师傅")
    if report.status == ASSIGNED and report.assignee_id == person.id:
        raise Refusal(f"R{report.id} 已经指派给 {store.name_of(person)} 了。")
    await store.record(ctx.session, report, store.ASSIGN, ctx.now, actor=ctx.member, status=ASSIGNED,
                       assignee=person)
    text = (f"{headline(report)}已指派给 {store.name_of(person)}。"
            f"处理好后请发送 #处理 R{report.id} 和处理情况，例如：#处理 R{report.id} 已清理。")
    return ctx.reply(text, mention=_unique(ctx.member.wechat_id, person.wechat_id))


@router.command("处理", "resolve", usage="#处理 R<n> [说明]", example="#处理 R5 已清理", summary="把报修标为已处理（楼组长或被指派的人）")
async def resolve(ctx: Context, args: str) -> list[Reply]:
    """Mark a report resolved; its reporter is asked to confirm."""
    report, rest = await _numbered(ctx, args, "#处理 R5 纸箱已清走")
    # Who may is about this report, so it is checked here rather than by the dispatcher.
    if not (leader().allows(ctx) or report.assignee_id == ctx.member.id):
        raise Refusal(f"只有楼组长或被指派的人可以处理 R{report.id}。发送 #进度 R{report.id} 查看进度。")
    if report.status == CLOSED:
        raise _closed(report)
    if report.status == RESOLVED:
        raise Refusal(f"R{report.id} 已经标为已处理，正在等报修人确认。")
    note = _note(ctx.as_typed(rest))
    await store.record(ctx.session, report, store.RESOLVE, ctx.now, actor=ctx.member, status=RESOLVED, note=note)
    reporter = await ctx.session.get(Member, report.reporter_id)
    duplicates = await store.duplicates_of(ctx.session, report)
    hours = int(store.CONFIRM_WITHIN.total_seconds() // 3600)
    text = (f"R{report.id}（{short(report.description)}）已处理" + (f"：{note}" if note else "") + "。"
            f"请报修人确认：解决了发送 #确认 R{report.id}，没解决发送 #未解决 R{report.id} 和情况；"
            f"{hours} 小时内没有回复将自动关闭。")
    if duplicates:
        text += f"（{'、'.join(f'R{d.id}' for d in duplicates)} 是同一问题，一并告知。）"
    others = await store.members_by_id(ctx.session, {d.reporter_id for d in duplicates})
    return await ctx.tell(text, [reporter, *others.values()])


@router.command("确认", "confirm", usage="#确认 R<n>", example="#确认 R5", summary="确认自己的报修已解决")
async def confirm(ctx: Context, args: str) -> str:
    """The reporter confirms a resolved report: it closes, and they earn the report bonus once."""
    report, _ = await _awaiting_answer(
        ctx, args, "#确认 R5", not_reporter="只有 R{n} 的报修人可以确认。发送 #进度 R{n} 查看进度。",
        not_resolved="R{n} 还没处理好（{status}），处理后会通知你确认。")
    resolver = await store.last_actor(ctx.session, report.id, store.RESOLVE)
    await store.record(ctx.session, report, store.CONFIRM, ctx.now, actor=ctx.member, status=CLOSED)
    text = f"谢谢确认！R{report.id} 已关闭。"
    bonus = ctx.settings.report_bonus
    if bonus and resolver is not None and resolver.id == report.reporter_id:
        # Report, #处理 it oneself, #确认: no points for that round, however often it is played.
        text += "自己处理的报修不计有效报修积分。"
    elif bonus and not await store.bonus_paid(ctx.session, report):
        await ledger.post(ctx.session, member_id=report.reporter_id, building_id=report.building_id, amount=bonus,
                          kind=store.BONUS_KIND, reason=f"有效报修 R{report.id}", author_id=None, now=ctx.now,
                          ref=("report", report.id), message_id=ctx.message.id)
        balance = await queries.balance_of(ctx.session, report.reporter_id)
        text += f"有效报修 +{bonus} 分，当前积分 {balance} 分。"
    return text


@router.command("未解决", "reopen", usage="#未解决 R<n> [情况]", example="#未解决 R5 纸箱还在", summary="报修处理后问题还在，重新打开")
async def reopen(ctx: Context, args: str) -> Reply:
    """The reporter says a resolved report is not fixed: it opens again, with their words."""
    report, rest = await _awaiting_answer(
        ctx, args, "#未解决 R5 纸箱还在", not_reporter="只有 R{n} 的报修人可以反馈未解决；发现新问题请发送 #报修 和问题。",
        not_resolved="R{n} 还在处理中（{status}），不用重新打开；发送 #进度 R{n} 查看。")
    note = _note(ctx.as_typed(rest))
    resolver = await store.last_actor(ctx.session, report.id, store.RESOLVE)
    await store.record(ctx.session, report, store.REOPEN, ctx.now, actor=ctx.member, status=OPEN, note=note)
    assignee = await ctx.session.get(Member, report.assignee_id) if report.assignee_id else None
    text = (f"R{report.id} 已重新打开" + (f"：{note}" if note else "") + "。"
            f"请再看看，处理好后发送 #处理 R{report.id}。")
    return ctx.reply(text, mention=_unique(ctx.member.wechat_id, name_id(resolver), name_id(assignee)))


@router.command("合并", "merge", permission=leader(), usage="#合并 R<n> R<m>", example="#合并 R9 R7", summary="把重复的报修 R<n> 并入 R<m>")
async def merge(ctx: Context, args: str) -> list[Reply]:
    """Close a report as a duplicate of another; both reporters are told."""
    example = "#合并 R9 R7（把 R9 并入 R7）"
    first, rest = take_ref(args, "R")
    rest = rest.removeprefix("到").removeprefix("并入").removeprefix("->").removeprefix("→").strip()
    second, extra = take_ref(rest, "R")
    if first is None or second is None or extra:
        raise Refusal(f"请写上两个报修编号，例如：{example}")
    if first == second:
        raise Refusal(f"不能把 R{first} 合并到它自己，例如：{example}")
    # Lock in id order, so two merges of the same pair cannot wait on each other.
    locked = {n: await _report(ctx, n) for n in sorted((first, second))}
    duplicate, original = locked[first], locked[second]
    if duplicate.status == CLOSED:
        raise _closed(duplicate)
    if original.status == CLOSED:
        raise Refusal(f"R{original.id} 已关闭，不能并入；如果问题又出现了，请继续处理 R{duplicate.id}。")
    await store.record(ctx.session, duplicate, store.MERGE, ctx.now, actor=ctx.member, status=CLOSED,
                       duplicate_of=original)
    await store.record(ctx.session, original, store.MERGED_IN, ctx.now, actor=ctx.member, note=f"R{duplicate.id}")
    people = await store.members_by_id(ctx.session, {duplicate.reporter_id, original.reporter_id})
    text = (f"R{duplicate.id} 与 R{original.id} 是同一问题，已合并：R{duplicate.id} 关闭，"
            f"后续进度请发送 #进度 R{original.id} 查看。")
    return await ctx.tell(text, [people.get(duplicate.reporter_id), people.get(original.reporter_id)])


def name_id(member: Member | None) -> str:
    """Whom to @-mention (the WeChat id goes in the mention list, never into the text)."""
    return member.wechat_id if member else ""


def _unique(*ids: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in ids if i))
