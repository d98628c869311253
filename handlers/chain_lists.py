"""接龙 as people write it in a WeChat group: #接龙 (a leader's new chain, a copied list with names added,
WeChat's own 接龙 offered for take-over, #接龙 接管), a "+1", and a copied list sent without its # or inside a copied reply.

Every sign-up goes through handlers/chains.py's ``sign_up``, so the limit and the waiting list hold the same.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.core.context import Context, Refusal
from bot.core.parser import normalise, take_ref
from bot.core.router import Router
from bot.core.rules import leader
from bot.core.text import short
from handlers import chains
from schedules.phrases import parse_when
from storage import chains as store
from storage.models import Chain, ChainSignup, Member

router = Router("chain_lists", topic="接龙")

# A numbered line of a 接龙 as people write it: 1. 张阿姨, 1、张阿姨, 1.张阿姨, 1) 张阿姨, 1 张阿姨, ① 张阿姨 (NFKC: 1).
NUMBERED = re.compile(r"^\s*\d{1,3}\s*(?:[.、,)\]:]\s*|\s+)(?P<name>\S.*?)\s*$")
MOST_ADDED = 5  # names one copied list may add


def numbered_names(raw: str) -> list[str]:
    """The names on the numbered lines of a 接龙 message, in order (each line normalised)."""
    names = []
    for line in (raw or "").splitlines():
        # ①…⑳ would become a bare 1…20 glued to the name: give them the dot a number has.
        line = re.sub(r"^\s*([\u2460-\u2473])", lambda m: f"{ord(m[1]) - 0x245F}. ", line)
        match = NUMBERED.match(normalise(line))
        if match:
            name = re.sub(r"\[[^\]]{1,4}\]", "", match["name"]).strip(" 。.")  # WeChat's emoji text: [强]
            if name and name not in ("+1", "+"):
                names.append(name[:chains.NAME_CHARS * 2])
    return names


@router.command("接龙", "chain", usage="#接龙 <何时> <内容> [限N人] [每人N分]", example="#接龙 周六9点 楼道大扫除 限20人 每人5分",
                summary="楼组长发起接龙 J编号（例如 #接龙 周六9点 楼道大扫除 限20人 每人5分）；#接龙 接管 接管微信接龙")
async def start(ctx: Context, args: str):
    """Start a chain J<n> (leaders); a copied list with a name added signs up; a WeChat 接龙 is offered for take-over."""
    text = normalise(args)
    if text.split(" ")[0] == "接管":
        return await _take_over(ctx, text[2:].strip())
    names = numbered_names(ctx.message.text)
    lines = [line for line in ctx.message.text.strip().splitlines() if line.strip()]
    bare = len(lines) > 1 and normalise(lines[0]).lstrip("#").strip() == "接龙"  # WeChat's own, no names yet
    if names or (bare and not (leader().allows(ctx) and parse_when(text, ctx.now, ctx.settings.timezone))):
        return await _copied_list(ctx, text, names)
    if not leader().allows(ctx):
        raise Refusal("只有楼组长可以发起接龙；报名请发送 #报名（有几个接龙时写编号，例如 #报名 J3）。")
    return await chains.start_chain(ctx, text)


async def _copied_list(ctx: Context, header: str, names: list[str]):
    """A 接龙 message with numbered names: a copy of one of ours with names added, or WeChat's own 接龙."""
    number, _ = take_ref(header, "J")
    open_here = await store.open_in_room(ctx.session, ctx.message.room_id)
    chain = next((c for c in open_here if c.id == number), None) if number is not None else None
    if chain is None and number is None:
        chain = next((c for c in open_here if c.title and normalise(c.title) in normalise(ctx.message.text)), None)
    if chain is not None:
        return await _names_added(ctx, await store.get(ctx.session, chain.id, lock=True) or chain, names)
    if number is not None:
        raise Refusal(f"J{number} 不在报名中，发送 #接龙列表 查看本群正在报名的接龙。")
    return await _offer(ctx, names)


async def _names_added(ctx: Context, chain: Chain, names: list[str]):
    """The names the copy adds to ``chain``: the sender's own first (when not on it yet), the rest signed up by them."""
    roll = await store.roll(ctx.session, chain.id)
    known = {normalise(s.name) for s in roll.signed + roll.waiting}
    added = [name for name in dict.fromkeys(names) if normalise(name) not in known]
    if not added:
        return None  # the list as it was: nothing to do, nothing to say
    if len(added) > MOST_ADDED:
        raise Refusal(f"一次最多加 {MOST_ADDED} 个名字；替家人邻居报名请发送 #报名 J{chain.id} 代 王奶奶")
    mine = None
    if await store.find_signup(ctx.session, chain.id, ctx.member.id, "") is None:
        # The sender adds themselves: their own name if it is there, else the first added.
        mine = next((name for name in added if name == ctx.member.display_name), added[0])
    replies = [await chains.sign_up(ctx, chain, "" if name == mine else name[:chains.NAME_CHARS]) for name in added]
    *said, last = replies
    heads = [r.partition("\n")[0] for r in said]
    return "\n".join([*heads, last])


async def _offer(ctx: Context, names: list[str]):
    """WeChat's own 接龙 seen in the group: kept as an offer a leader may take over with #接龙 接管."""
    lines = [normalise(line) for line in ctx.message.text.splitlines()]
    first = normalise(lines[0].lstrip("#").strip().removeprefix("接龙")) if lines else ""
    title = first or next((line for line in lines[1:]
                           if line and not NUMBERED.match(line) and not line.startswith("例")), "")
    if not title:
        raise Refusal(f"这条接龙没有写活动内容。楼组长发起接龙请发送：{chains.EXAMPLE}")
    assert ctx.building is not None
    offered = await store.offered_in_room(ctx.session, ctx.message.room_id)
    title = title[:100]
    fresh = offered is None or offered.title != title
    if fresh:
        offered = Chain(building_id=ctx.building.id, room_id=ctx.message.room_id, author_id=ctx.member.id,
                        title=title, status=store.OFFERED, created_at=ctx.now)
        ctx.session.add(offered)
        await ctx.session.flush()
    assert offered is not None
    have = {s.name for s in (await store.roll(ctx.session, offered.id)).signed}
    for name in dict.fromkeys(n[:chains.NAME_CHARS] for n in names):
        if name not in have:
            ctx.session.add(ChainSignup(chain_id=offered.id, member_id=None, proxy_name=name, name=name,
                                        created_at=ctx.now))
    await ctx.session.flush()
    if not fresh:
        return None  # WeChat posts the whole list again at every name: the offer was made once
    return ctx.reply(f"看到一条微信接龙“{short(title, 20)}”（{len(names)} 人）。楼组长发送 #接龙 接管 周六9点 每人5分"
                     f"（写上活动时间和积分）可以交给我管理：报名、活动前提醒、签到记分。", mention=())


async def _take_over(ctx: Context, text: str):
    if not leader().allows(ctx):
        raise Refusal("只有楼组长可以接管接龙；报名请发送 #报名。")
    offered = await store.offered_in_room(ctx.session, ctx.message.room_id)
    if offered is None:
        raise Refusal(f"本群最近没有看到微信接龙。发起新的接龙请发送：{chains.EXAMPLE}")
    example = f"#接龙 接管 周六9点 每人5分（写上“{short(offered.title, 12)}”的时间）"
    if parse_when(text, ctx.now, ctx.settings.timezone) is not None:
        terms = await chains.terms_of(ctx, text, title=offered.title, example=example)
    else:  # the 接龙's own title may say when: 周六9点 楼道大扫除
        terms = await chains.terms_of(ctx, f"{offered.title} {text}", example=example)
    chains.apply_terms(offered, terms)
    offered.status, offered.author_id = store.OPEN, ctx.member.id
    assert ctx.building is not None
    # Names that are members of this building become their own sign-ups: they are reminded, and get points.
    roll = await store.roll(ctx.session, offered.id)
    taken: set[int] = set()
    for signup in roll.signed:
        member = await ctx.session.scalar(select(Member).where(Member.building_id == ctx.building.id,
                                                               Member.display_name == signup.name).limit(1))
        if member is not None and member.id not in taken:
            signup.member_id, signup.proxy_name = member.id, ""
            taken.add(member.id)
    await ctx.session.flush()
    return ctx.reply(f"已接管为 J{offered.id}。\n{chains.listing(offered, await store.roll(ctx.session, offered.id))}",
                     mention=())


PLUS_ONE = re.compile(r"^(?:接龙\s*)?\+\s*1(?:\s+(?P<name>.*)|$)")


@router.chatter(PLUS_ONE.pattern)
async def plus_one(ctx: Context):
    """"+1" in a group with one open chain signs the sender up (several open: they are asked which)."""
    open_here = await store.open_in_room(ctx.session, ctx.message.room_id)
    if not open_here:
        return None  # a "+1" to something else said in the group
    match = PLUS_ONE.match(normalise(ctx.message.text))
    name = (match["name"] or "").strip() if match else ""
    chain, _ = await chains.chain_named(ctx, "", "#报名 J3")
    proxy = "" if not name or name == ctx.member.display_name else name[:chains.NAME_CHARS]
    return await chains.sign_up(ctx, chain, proxy)


@router.chatter(r"^接龙\s")
async def bare_list(ctx: Context):
    """A copied list sent without its #: read like one with it."""
    names = numbered_names(ctx.message.text)
    if not names:
        return None
    first = normalise(ctx.message.text).removeprefix("接龙").strip()
    number, _ = take_ref(first, "J")
    if number is None and not await store.open_in_room(ctx.session, ctx.message.room_id):
        return None
    try:
        return await _copied_list(ctx, first, names)
    except Refusal:
        if number is None:
            return None  # not one of ours after all: ordinary chat stays unanswered
        raise


# A reply of ours copied whole (长按, 复制) with a name added: its first line (@张阿姨 张阿姨 报名成功，第 1 位。
# or 已接管为 J1。) comes before the list, so the copy is ordinary chat with "#接龙 J<n>" further on.
REPLY_COPY = r"^[^#]{1,200}?#接龙 ?J ?\d"


@router.chatter(REPLY_COPY)
async def copied_reply(ctx: Context):
    """A copied reply showing a list, with names added: read like the list alone."""
    names = numbered_names(ctx.message.text)
    if not names:
        return None
    header = normalise(ctx.message.text).split("#接龙", 1)[1]
    return await _copied_list(ctx, header, names)
