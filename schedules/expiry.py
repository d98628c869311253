"""What nobody followed up expires by itself: undecided claims, and resolved reports nobody confirmed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.core.messages import Reply
from bot.core.text import short
from schedules.registry import JobContext, jobs
from storage import membership, queries
from storage import reports as store
from storage.models import Claim, Member


@jobs.job("expire_claims", at="LOUZU_CLAIM_EXPIRY_AT", default="30 3 * * *", aliases=("claim_expiry",),
          summary="claims no leader decided within LOUZU_CLAIM_EXPIRY_DAYS expire; the claimant is told")
async def expire_claims(ctx: JobContext) -> list[Reply]:
    """Claims no leader decided within LOUZU_CLAIM_EXPIRY_DAYS expire; each claimant is told once, in their group."""
    days = ctx.settings.claim_expiry_days
    stale = (await ctx.session.execute(
        select(Claim, Member).join(Member, Member.id == Claim.member_id)
        .where(Claim.status == "pending", Claim.created_at < ctx.now - timedelta(days=days))
        .order_by(Claim.id).with_for_update(of=Claim)
    )).all()
    replies: list[Reply] = []
    for claim, claimant in stale:
        claim.status, claim.decided_at = "expired", ctx.now
        claim.decision_reason = f"超过 {days} 天未审核"
        text = f"C{claim.id}（{claim.described()}）超过 {days} 天没有审核，已过期；如确有其事，请重新 #打卡 或联系楼组长。"
        rooms = await queries.rooms_of(ctx.session, claim.building_id)
        room = await membership.room_for(ctx.session, claimant, claim.building_id, rooms[0] if rooms else None)
        if room:  # once, in the group they used last: not in each group of a building with two
            replies.append(Reply(room, text, (claimant.wechat_id,)))
    return replies


@jobs.job("close_unconfirmed", at="LOUZU_AUTO_CLOSE_AT", default="15 * * * *", aliases=("auto_close",),
          summary="resolved reports nobody confirmed within 72 hours are closed; the reporter is told")
async def close_unconfirmed(ctx: JobContext) -> list[Reply]:
    """Close resolved reports nobody confirmed within 72 hours; the lines telling their reporters."""
    hours = int(store.CONFIRM_WITHIN.total_seconds() // 3600)
    replies = []
    for report in await store.unconfirmed_since(ctx.session, ctx.now):
        await store.record(ctx.session, report, store.AUTO_CLOSE, ctx.now, actor=None, status=store.CLOSED,
                           note=f"{hours} 小时内没有确认，自动关闭")
        reporter = await ctx.session.get(Member, report.reporter_id)
        room = await store.room_of(ctx.session, report)
        if room and reporter is not None:
            replies.append(Reply(room, f"R{report.id}（{short(report.description)}）处理后 {hours} 小时没有收到确认，"
                                       f"已自动关闭。如果问题还在，请重新发送 #报修 和问题，例如：#报修 3楼楼道堆了纸箱。", (reporter.wechat_id,)))
    return replies
