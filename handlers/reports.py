"""Reports (随手拍): residents tell the building's leaders what needs fixing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from handlers.context import Context, Refusal
from handlers.router import Router
from storage.models import Report, ReportEvent

router = Router("reports")

# Category, and the words that suggest it; the first category with a matching word wins.
CATEGORY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("楼道堆物", ("堆物", "杂物", "堆放", "纸箱", "楼道堆")),
    ("乱停车", ("停车", "电动车", "自行车", "车辆", "占道")),
    ("垃圾", ("垃圾",)),
    ("环境卫生", ("卫生", "清洁", "脏", "异味", "臭")),
    ("噪音", ("噪音", "噪声", "吵")),
    ("安全/消防", ("安全", "消防", "灭火器", "电线", "充电", "漏电")),
)
OTHER = "其他"
OPEN_STATES = ("open", "assigned", "resolved")
MAX_DESCRIPTION = 500


def guess_category(text: str) -> str:
    for category, words in CATEGORY_WORDS:
        if any(word in text for word in words):
            return category
    return OTHER


@router.command("报修", "反映", "随手拍", "report", usage="#报修 <描述>", summary="反映楼里的问题（可附照片）")
async def open_report(ctx: Context, args: str) -> str:
    """Open a report for this building."""
    description = args.strip()
    if not description:
        raise Refusal("请写上问题描述，例如：#报修 3楼楼道堆了纸箱")
    if len(description) > MAX_DESCRIPTION:
        raise Refusal(f"描述太长了（{len(description)} 字），请控制在 {MAX_DESCRIPTION} 字以内。")
    assert ctx.building is not None
    category = guess_category(description)
    similar = await ctx.session.scalar(select(Report.id).where(
        Report.building_id == ctx.building.id, Report.category == category, Report.status.in_(OPEN_STATES),
        Report.created_at >= ctx.now - timedelta(hours=24)).order_by(Report.id.desc()).limit(1))
    report = Report(building_id=ctx.building.id, reporter_id=ctx.member.id, category=category,
                    description=description, status="open", created_at=ctx.now, updated_at=ctx.now)
    ctx.session.add(report)
    await ctx.session.flush()
    ctx.session.add(ReportEvent(report_id=report.id, action="open", status="open", actor_id=ctx.member.id,
                                note=description, created_at=ctx.now))
    text = f"已登记 R{report.id}（{category}）：{description}\n楼组长会尽快处理，发送 #进度 R{report.id} 查看进度。"
    if similar and category != OTHER:
        text += f"\n提示：可能与 R{similar} 相同，楼组长会一并查看。"
    return text
