"""Building leaders: review claims, award and deduct points."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.core.context import Context, Refusal
from bot.core.lookup import in_this_building, one_mentioned
from bot.core.parser import normalise, parse_points, parse_quantity, take_ref
from bot.core.router import Router
from bot.core.rules import leader
from bot.core.text import short
from storage import gifts as gift_store
from storage import ledger
from storage.ledger import NotEnoughPoints
from storage.models import Claim, Member, Redemption

router = Router("leaders", topic="审核")

STATUS_WORDS = {"approved": "已通过", "rejected": "已驳回", "expired": "已过期", "pending": "待审核"}


PAGE = 10  # items of #审核 per page
MOST_AT_ONCE = 50  # claims one #驳回 may reject


@router.command("审核", "pending", permission=leader(), usage="#审核 [页]", example="#审核", common=True,
                summary="本楼待审核的积分申请和待发放的礼品（每页 10 条，#审核 2 看下一页）")
async def pending(ctx: Context, args: str) -> str:
    """Pending claims and redemptions of this building, 10 a page (`#审核 2` the next 10)."""
    assert ctx.building is not None
    page = parse_quantity(args) if args.strip() else 1
    if page is None or page < 1:
        raise Refusal("请写页码，例如：#审核 2")
    claims = (await ctx.session.execute(
        select(Claim, Member).join(Member, Member.id == Claim.member_id)
        .where(Claim.building_id == ctx.building.id, Claim.status == "pending").order_by(Claim.id))).all()
    gifts = (await ctx.session.execute(
        select(Redemption, Member).join(Member, Member.id == Redemption.member_id)
        .where(Redemption.building_id == ctx.building.id, Redemption.status == "held").order_by(Redemption.id))).all()
    if not claims and not gifts:
        return "本楼没有待审核的申请，也没有待发放的礼品。"
    items = ([("claim", f"C{c.id} {m.display_name} {c.described()} {c.points}分" + (f"（{short(c.note, 20)}）" if c.note else ""))
              for c, m in claims]
             + [("gift", f"X{r.id} {m.display_name} {r.gift.name}") for r, m in gifts])
    pages = -(-len(items) // PAGE)
    if page > pages:
        raise Refusal(f"只有 {pages} 页，发送 #审核 {pages} 看最后一页。")
    lines = []
    if pages > 1:
        lines.append(f"待审核申请 {len(claims)} 条、待发放礼品 {len(gifts)} 件，第 {page}/{pages} 页：")
    first_claim = claims[0][0].id if claims else 0
    first_gift = gifts[0][0].id if gifts else 0
    heads = {"claim": f"待审核（例如：#通过 C{first_claim}，#驳回 C{first_claim} 时长不对）：",
             "gift": f"待发放礼品（例如：#发放 X{first_gift}）："}
    shown = None
    on_page = items[(page - 1) * PAGE: page * PAGE]
    for kind, line in on_page:
        if kind != shown:
            lines.append(heads[kind])
            shown = kind
        lines.append(line)
    if pages > 1 and sum(kind == "claim" for kind, _ in on_page) > 1:  # many waiting: deciding them one by one is slow
        lines.append("几条一起驳回，例如：#驳回 C5 C6 时长不对")
    if page < pages:
        lines.append(f"发送 #审核 {page + 1} 看下一页。")
    return "\n".join(lines)


async def _pending_claim(ctx: Context, args: str, example: str) -> tuple[Claim, Member, str]:
    claim, rest = await in_this_building(ctx, Claim, "C", args, noun="申请", example=example,
                                         missing="发送 #审核 查看待审核的申请。")
    if claim.status != "pending":
        raise Refusal(f"C{claim.id} {STATUS_WORDS.get(claim.status, claim.status)}，不能再审核。")
    if claim.member_id == ctx.member.id:
        raise Refusal(f"C{claim.id} 是你自己的申请，请另一位楼组长或网格长审核。")
    claimant = await ctx.session.get(Member, claim.member_id)
    assert claimant is not None
    return claim, claimant, rest


@router.command("通过", "approve", permission=leader(), usage="#通过 C<n>", example="#通过 C5", summary="通过积分申请")
async def approve(ctx: Context, args: str):
    """Approve a pending claim: its points go into the claimant's ledger."""
    claim, claimant, _ = await _pending_claim(ctx, args, "#通过 C5")
    claim.status, claim.decided_by, claim.decided_at = "approved", ctx.member.id, ctx.now
    await ledger.post(ctx.session, member_id=claimant.id, building_id=claim.building_id, amount=claim.points,
                      kind="claim", reason=f"打卡 {claim.described()}（{ctx.member.display_name} 审核通过）",
                      author_id=ctx.member.id, now=ctx.now, ref=("claim", claim.id), message_id=ctx.message.id)
    return await ctx.tell(f"C{claim.id} 已通过：{claim.described()}，+{claim.points} 分。"
                          f"（审核：{ctx.member.display_name}）", [claimant])


_MORE_CLAIMS = re.compile(r"^[,，、\s]*C\s*(\d{1,30})\b\s*", re.I)


@router.command("驳回", "reject", permission=leader(), usage="#驳回 C<n> [C<m>…] [原因]", example="#驳回 C5 时长不对",
                summary="驳回积分申请，可一次几条：#驳回 C5 C6 原因")
async def reject(ctx: Context, args: str):
    """Reject pending claims (one, or several: `#驳回 C5 C6 C7 原因`), the reason told to each claimant.

    All or nothing: when one of them cannot be rejected, the refusal says which and none is.
    """
    example = "#驳回 C5 时长不对（几条一起：#驳回 C5 C6 时长不对）"
    first, rest = take_ref(args, "C")
    numbers = [first] if first is not None else []
    while numbers and (more := _MORE_CLAIMS.match(rest)):
        numbers.append(int(more.group(1)))
        rest = rest[more.end():]
    if not numbers:
        raise Refusal(f"请写上申请编号，例如：{example}")
    numbers = list(dict.fromkeys(numbers))
    if len(numbers) > MOST_AT_ONCE:
        raise Refusal(f"一次最多驳回 {MOST_AT_ONCE} 条，请分几次发。")
    rejected = []
    for number in sorted(numbers):  # locked in id order: two leaders rejecting overlapping lists cannot deadlock
        claim, claimant, _ = await _pending_claim(ctx, f"C{number}", example)
        rejected.append((claim, claimant))
    reason = ctx.as_typed(rest)
    for claim, _ in rejected:
        claim.status, claim.decided_by, claim.decided_at = "rejected", ctx.member.id, ctx.now
        claim.decision_reason = reason
    because = f"原因：{reason}" if reason else "如有疑问请联系楼组长"
    who = [claimant for _, claimant in rejected]
    if len(rejected) == 1:
        [(claim, _)] = rejected
        return await ctx.tell(f"C{claim.id}（{claim.described()}）未通过，{because}。"
                              f"（审核：{ctx.member.display_name}）", who)
    listed = "、".join(f"C{claim.id}" for claim, _ in rejected)
    return await ctx.tell(f"{listed} 共 {len(rejected)} 条未通过，{because}。（审核：{ctx.member.display_name}）", who)


async def _amount_and_reason(ctx: Context, args: str, example: str) -> tuple[Member, int, str]:
    target = await one_mentioned(ctx, example)
    if target.id == ctx.member.id:
        raise Refusal("不能给自己加分或扣分，请另一位楼组长操作。")
    amount_text, _, reason = normalise(args).partition(" ")
    amount = parse_points(amount_text)
    limit = ctx.settings.max_award
    if amount is None or not 1 <= amount <= limit:
        raise Refusal(f"分数应为 1 到 {limit} 之间的整数，例如：{example}")
    if not reason.strip():
        raise Refusal(f"请写上原因，例如：{example}")
    return target, amount, ctx.as_typed(reason)


@router.command("加分", "award", permission=leader(), usage="#加分 @某人 <分> <原因>", example="#加分 @张阿姨 5 帮忙清理楼道", summary="给居民加分")
async def award(ctx: Context, args: str):
    """Award points to a member of this group, with a reason."""
    target, amount, reason = await _amount_and_reason(ctx, args, "#加分 @张阿姨 5 帮忙清理楼道")
    await ledger.post(ctx.session, member_id=target.id, building_id=ctx.building.id if ctx.building else None,
                      amount=amount, kind="award", reason=reason, author_id=ctx.member.id, now=ctx.now,
                      message_id=ctx.message.id)
    return ctx.reply(f"{ctx.member.display_name} 为你加 {amount} 分：{reason}。谢谢你！", mention=(target.wechat_id,))


def _too_few(target: Member, most: int, holding: str = "") -> str:
    if most <= 0:
        return f"{target.display_name} 现在没有积分，扣不了分。"
    return f"{target.display_name} 只有 {most} 分{holding}，最多扣 {most} 分。"


@router.command("扣分", "deduct", permission=leader(), usage="#扣分 @某人 <分> <原因>", example="#扣分 @张阿姨 5 重复打卡", summary="扣除居民积分")
async def deduct(ctx: Context, args: str):
    """Deduct points from a member of this group, with a reason; never below zero."""
    target, amount, reason = await _amount_and_reason(ctx, args, "#扣分 @张阿姨 5 重复打卡")
    # Points held for a gift still count: were they left out, #兑换 then #取消 would shelter them from a
    # deduction. Holds are released, newest first, as far as the deduction needs them.
    await ledger.lock_member(ctx.session, target.id)
    held = await gift_store.held_of(ctx.session, target.id)  # locked before the balance is read: a #取消 waits
    balance = await ledger.balance_of(ctx.session, target.id)
    if balance + sum(r.cost for r in held) < amount:
        most = balance + sum(r.cost for r in held)
        holding = f"（含兑换中冻结的 {most - balance} 分）" if held else ""
        raise Refusal(_too_few(target, most, holding))
    released = []
    for redemption in held:
        if balance >= amount:
            break
        await gift_store.cancel(ctx.session, redemption, by=ctx.member.id, now=ctx.now, message_id=ctx.message.id,
                                reason=f"扣分时取消兑换 X{redemption.id} {redemption.gift.name}")
        balance += redemption.cost
        released.append(redemption)
    try:
        await ledger.post(ctx.session, member_id=target.id, building_id=ctx.building.id if ctx.building else None,
                          amount=-amount, kind="deduction", reason=reason, author_id=ctx.member.id, now=ctx.now,
                          message_id=ctx.message.id)
    except NotEnoughPoints as short:  # cannot happen under the lock; the ledger's own rule all the same
        raise Refusal(_too_few(target, short.balance)) from None
    cancelled = ""
    if released:
        gifts = "、".join(f"X{r.id}（{r.gift.name}）" for r in released)
        cancelled = f"积分不够，已取消兑换 {gifts}，退回的积分用于扣分。"
    return ctx.reply(f"{ctx.member.display_name} 扣除你 {amount} 分：{reason}。{cancelled}如有疑问请联系楼组长。",
                     mention=(target.wechat_id,))
