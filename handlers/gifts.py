"""Gifts: the catalogue, redeeming points (held at once), hand-over and cancelling."""

from __future__ import annotations


from sqlalchemy import select, update

from bot.core.context import Context, Refusal
from bot.core.parser import for_matching, simplified
from bot.core.lookup import in_this_building
from bot.core.router import Router
from bot.core.rules import leader
from bot.core.text import no_such
from storage import gifts as gift_store
from storage import ledger
from storage.models import Gift, Member, Redemption

router = Router("gifts", topic="礼品")

NONE_OFFERED = "暂时没有可兑换的礼品，请留意居委会通知。"
STATUS_WORDS = {"handed_over": "已发放", "cancelled": "已取消"}


@router.command("礼品", "gifts", usage="#礼品", common=True, summary="查看可兑换的礼品")
async def catalogue(ctx: Context) -> str:
    """The gift catalogue: name, cost, stock."""
    gifts = list(await ctx.session.scalars(select(Gift).where(Gift.active).order_by(Gift.cost, Gift.id)))
    if not gifts:
        return NONE_OFFERED
    lines = [f"爱心积分可兑换（例如：#兑换 {gifts[0].name}）："]
    lines += [f"{g.name} {g.cost} 分" + ("（已兑完）" if g.stock <= 0 else f"（剩 {g.stock} 件）") for g in gifts]
    return "\n".join(lines)


@router.command("兑换", "redeem", usage="#兑换 <礼品>", example="#兑换 毛巾", summary="用积分兑换礼品")
async def redeem(ctx: Context, args: str) -> str:
    """Redeem a gift: the points are held at once, a leader hands the gift over."""
    name = for_matching(args)
    gifts = list(await ctx.session.scalars(select(Gift).where(Gift.active).order_by(Gift.cost, Gift.id)))
    gift = next((g for g in gifts if simplified(g.name) == name), None) or next(
        (g for g in sorted(gifts, key=lambda g: -len(g.name)) if name and name.startswith(simplified(g.name))), None)
    if gift is None:
        raise Refusal(_no_such_gift(name, gifts))
    assert ctx.building is not None
    await ledger.lock_member(ctx.session, ctx.member.id)
    balance = await ledger.balance_of(ctx.session, ctx.member.id)
    if balance < gift.cost:
        raise Refusal(f"{gift.name}需要 {gift.cost} 分，你现在有 {balance} 分，还差 {gift.cost - balance} 分。")
    if gift.stock <= 0:
        raise Refusal(f"{gift.name}已经兑完了，发送 #礼品 看看别的。")
    redemption = Redemption(member_id=ctx.member.id, building_id=ctx.building.id, gift_id=gift.id, cost=gift.cost,
                            status="held", created_at=ctx.now)
    ctx.session.add(redemption)
    await ctx.session.flush()
    # The balance was checked under the lock above; post() checks again as the ledger's own rule.
    await ledger.post(ctx.session, member_id=ctx.member.id, building_id=ctx.building.id, amount=-gift.cost,
                      kind="redemption", reason=f"兑换 {gift.name}", author_id=ctx.member.id, now=ctx.now,
                      ref=("redemption", redemption.id), message_id=ctx.message.id)
    # Take one from stock only if there is one: two people redeeming the last one cannot both win.
    taken = await ctx.session.execute(update(Gift).where(Gift.id == gift.id, Gift.stock > 0)
                                      .values(stock=Gift.stock - 1))
    if taken.rowcount != 1:
        raise Refusal(f"{gift.name}已经兑完了，发送 #礼品 看看别的。")
    return (f"X{redemption.id} 已兑换 {gift.name}（-{gift.cost} 分，余额 {balance - gift.cost} 分），请找楼组长领取；"
            f"领取前可发 #取消 X{redemption.id}。")


def _no_such_gift(name: str, gifts: list[Gift]) -> str:
    """The refusal for a name that is no gift: the closest ones, or the catalogue."""
    names = [g.name for g in gifts]
    if not names:
        return NONE_OFFERED
    if not name:
        return f"请写上礼品名称，例如：#兑换 {names[0]}。可兑换：{'、'.join(names)}"
    return no_such("礼品", name, names, "兑换", f"可兑换：{'、'.join(names)}；发送 #礼品 看所需积分。")


async def _held(ctx: Context, args: str, example: str) -> tuple[Redemption, Member]:
    redemption, _ = await in_this_building(ctx, Redemption, "X", args, noun="兑换", example=example,
                                           missing="发送 #审核 查看待发放的礼品。")
    if redemption.status != "held":
        raise Refusal(f"X{redemption.id} {STATUS_WORDS.get(redemption.status, redemption.status)}，不能再操作。")
    owner = await ctx.session.get(Member, redemption.member_id)
    assert owner is not None
    return redemption, owner


@router.command("取消", "cancel", usage="#取消 X<n>", example="#取消 X3", summary="领取前取消兑换，积分退回")
async def cancel(ctx: Context, args: str):
    """Cancel a redemption before hand-over (its owner or a leader); the points come back."""
    redemption, owner = await _held(ctx, args, "#取消 X3")
    if owner.id != ctx.member.id and not leader().allows(ctx):
        raise Refusal(f"X{redemption.id} 不是你的兑换，只有本人或楼组长可以取消。")
    await gift_store.cancel(ctx.session, redemption, by=ctx.member.id, now=ctx.now,
                            reason=f"取消兑换 X{redemption.id} {redemption.gift.name}", message_id=ctx.message.id)
    balance = await ledger.balance_of(ctx.session, owner.id)
    return await ctx.tell(f"X{redemption.id}（{redemption.gift.name}）已取消，{redemption.cost} 分已退回，余额 {balance} 分。",
                          [owner])


@router.command("发放", "handover", permission=leader(), usage="#发放 X<n>", example="#发放 X3", summary="礼品已交给居民")
async def hand_over(ctx: Context, args: str):
    """Mark a redemption handed over."""
    redemption, owner = await _held(ctx, args, "#发放 X3")
    if owner.id == ctx.member.id:
        raise Refusal(f"X{redemption.id} 是你自己的兑换，请另一位楼组长或网格长发放。")
    redemption.status, redemption.decided_by, redemption.decided_at = "handed_over", ctx.member.id, ctx.now
    return await ctx.tell(f"X{redemption.id} {redemption.gift.name} 已由 {ctx.member.display_name} 发放，谢谢你的付出！",
                          [owner])
