"""The leaders' morning digest: what waits for them, so that claims do not expire unseen."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.core.messages import Reply
from bot.core.text import age, local_time
from schedules.registry import JobContext, jobs
from storage import membership
from storage.models import Building, Claim, Member, Redemption, RoleName
from storage.queries import role_holders, rooms_of

MOST_LISTED = 10  # claims listed in one post; the rest are counted
LEADERS = (RoleName.LEADER, RoleName.GRID_LEADER)


@jobs.job("pending_digest", at="LOUZU_PENDING_DIGEST_AT", default="0 8 * * *", posts_only=True,
          summary="each morning, to each building with claims waiting for a leader: one post listing them, "
                  "@-mentioning its leaders in their group; nothing where nothing waits")
async def pending_digest(ctx: JobContext) -> list[Reply]:
    """One post per building with pending claims, in the group its leaders used last, @-mentioning them."""
    claims = (await ctx.session.execute(
        select(Claim, Member).join(Member, Member.id == Claim.member_id)
        .where(Claim.status == "pending").order_by(Claim.building_id, Claim.id))).all()
    waiting: dict[int, list[tuple[Claim, Member]]] = {}
    for claim, claimant in claims:
        waiting.setdefault(claim.building_id, []).append((claim, claimant))
    if not waiting:
        return []
    gifts = dict((await ctx.session.execute(
        select(Redemption.building_id, func.count()).where(Redemption.status == "held")
        .group_by(Redemption.building_id))).all())
    names = {b.id: b.name for b in await ctx.session.scalars(select(Building).where(Building.id.in_(waiting)))}
    posts = []
    for building_id, pending in waiting.items():
        rooms = await rooms_of(ctx.session, building_id)
        if not rooms:
            continue  # an unbound building has no group to be told in
        leaders = await role_holders(ctx.session, building_id, LEADERS)
        first = await ctx.session.scalar(select(Member).where(Member.wechat_id.in_(leaders)).order_by(Member.id)) \
            if leaders else None
        room = await membership.room_for(ctx.session, first, building_id, rooms[0]) or rooms[0]
        mention = await membership.in_room(ctx.session, leaders, room, building_id)
        posts.append(Reply(room, _digest(ctx, names.get(building_id, ""), pending, gifts.get(building_id, 0)),
                           tuple(mention)))
    return posts


def _digest(ctx: JobContext, building: str, pending: list[tuple[Claim, Member]], gifts: int) -> str:
    days = ctx.settings.claim_expiry_days
    lines = [f"【待审核】{building} 有 {len(pending)} 条积分申请等待楼组长审核："]
    lines += [f"C{claim.id} {claimant.display_name} {claim.described()}（已等{age(ctx.now - claim.created_at)}）"
              for claim, claimant in pending[:MOST_LISTED]]
    if len(pending) > MOST_LISTED:
        lines.append(f"……还有 {len(pending) - MOST_LISTED} 条，发送 #审核 查看全部。")
    oldest = pending[0][0]
    expires = local_time(oldest.created_at + timedelta(days=days), ctx.settings.timezone)
    lines.append(f"请发送 #通过 C编号 或 #驳回 C编号 原因。超过 {days} 天未审核的会过期"
                 f"（最早的 C{oldest.id} 在 {expires} 后过期）。")
    if gifts:
        lines.append(f"另有 {gifts} 件礼品待发放（#发放 X编号）。")
    return "\n".join(lines)
