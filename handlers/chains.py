"""接龙: sign-up chains J<n>. A leader starts one (or takes over a WeChat 接龙), residents sign up, the bot
reminds them before, the leader marks who came and each attendee gets the chain's points once.

A list copied from the group with a name added, and a "+1", sign up like #报名 does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.core.context import Context, Refusal
from bot.core.lookup import in_this_building
from bot.core.messages import Reply
from bot.core.parser import normalise, take_ref
from bot.core.router import Router
from bot.core.rules import leader
from bot.core.text import short
from schedules.phrases import PhraseError, parse_when
from storage import chains as store
from storage import ledger, queries
from storage.catalogue import PATROL
from storage.models import Activity, Chain, ChainSignup, Member

router = Router("chains", topic="接龙")

EXAMPLE = "#接龙 周六9点 楼道大扫除 限20人 每人5分"
PLACES = re.compile(r"限\s*(\d{1,6})\s*(?:人|名|位)")
POINTS = re.compile(r"每人\s*(\d{1,6})\s*分")
AHEAD = re.compile(r"提前\s*(\d{1,3})\s*(小时|分钟)")
DEFAULT_AHEAD = timedelta(hours=1)
MOST_PLACES = 500
MOST_OPEN = 10  # open chains in one group
NAME_CHARS = 20
LISTED = 40  # names a list shows at most: a chat message stays readable
LIST_THEM = "发送 #接龙列表 查看本群的接龙。"  # ends the refusal of a number that is not this building's
STATUS_WORDS = {store.CLOSED: "已经结束", store.CANCELLED: "已经取消", store.OFFERED: "还没有接管"}


@dataclass(frozen=True)
class Terms:
    """What a leader wrote after #接龙: when, what, how many, how many points, how long before to remind."""

    starts_at: datetime
    when_text: str
    title: str
    places: int | None
    points: int
    ahead: timedelta
    activity: Activity | None


def listing(chain: Chain, roll: store.Roll) -> str:
    """The chain as a 接龙 looks: the header, then numbered names (a copy of it with a name added signs up)."""
    terms = [f"限{chain.places}人" if chain.places else "不限人数", f"每人{chain.points}分" if chain.points else "不计积分"]
    # Said as a phone does it: a copy of any message showing the list, with a numbered name added, signs up.
    lines = [f"#接龙 J{chain.id} {chain.when_text} {chain.title}",
             f"{'，'.join(terms)}。报名：长按这条消息，点“复制”，在最后加一行“{len(roll.signed) + 1}. 你的名字”"
             f"再发出去；或发送 #报名 J{chain.id}"]
    lines += _numbered(roll.signed)
    if roll.waiting:
        lines.append("候补：")
        lines += _numbered(roll.waiting)
    return "\n".join(lines)


def _numbered(signups: list[ChainSignup]) -> list[str]:
    """1. 张阿姨 …; a long list shows its last LISTED names (the newest: whoever just signed up sees themselves)."""
    shown = [f"{n}. {s.name}" for n, s in enumerate(signups, 1)]
    if len(shown) <= LISTED:
        return shown
    return [f"……前 {len(shown) - LISTED} 位略", *shown[-LISTED:]]


async def activity_named(ctx: Context, title: str) -> Activity | None:
    """The catalogue activity the title starts with (the longest name that fits), if any."""
    rows = await ctx.session.scalars(select(Activity).where(Activity.active, Activity.name != PATROL))
    return next((a for a in sorted(rows, key=lambda a: -len(a.name)) if title.startswith(a.name)), None)


async def terms_of(ctx: Context, text: str, *, title: str = "", example: str = EXAMPLE) -> Terms:
    """Read a chain's terms from ``text``, the time first; ``title`` names the activity when the text does not."""
    try:
        parsed = parse_when(text, ctx.now, ctx.settings.timezone)
    except PhraseError as error:
        raise Refusal(str(error)) from None
    if parsed is None:
        raise Refusal(f"没看懂活动时间，可以这样写：{example}")
    when, rest = parsed
    if when.run_at is None:
        raise Refusal(f"接龙要写具体哪一天，例如 周六9点、明天 08:30；每周的活动请每周发一次。例如：{EXAMPLE}")
    if when.run_at <= ctx.now:
        raise Refusal(f"{when.text} 已经过去了，请写一个以后的时间，例如：{EXAMPLE}")
    places = points = ahead = None
    if match := PLACES.search(rest):
        places, rest = int(match[1]), rest.replace(match[0], " ")
        if not 1 <= places <= MOST_PLACES:
            raise Refusal(f"人数限制应为 1 到 {MOST_PLACES} 人，例如：限20人")
    if match := POINTS.search(rest):
        points, rest = int(match[1]), rest.replace(match[0], " ")
    if match := AHEAD.search(rest):
        amount = int(match[1])
        ahead, rest = (timedelta(hours=amount) if match[2] == "小时" else timedelta(minutes=amount)), rest.replace(match[0], " ")
        if not timedelta(minutes=10) <= ahead <= timedelta(days=3):
            raise Refusal("提醒时间应在活动前 10 分钟到 72 小时之间，例如：提前2小时")
    title = normalise(rest).strip(" ，,。") or title
    if not title:
        raise Refusal(f"请写上活动内容，例如：{EXAMPLE}")
    activity = await activity_named(ctx, title)
    most = activity.points * activity.max_quantity if activity else ctx.settings.max_award
    if points is None:
        points = activity.points if activity else 0
    if not 0 <= points <= most:
        what = f"{activity.name}每人最多 {most} 分" if activity else f"每人最多 {most} 分"
        raise Refusal(f"{what}，例如：每人5分")
    return Terms(when.run_at, when.text, title[:100], places, points, ahead or DEFAULT_AHEAD, activity)


def apply_terms(chain: Chain, terms: Terms) -> None:
    chain.title, chain.starts_at, chain.when_text = terms.title, terms.starts_at, terms.when_text
    chain.places, chain.points = terms.places, terms.points
    chain.activity_id = terms.activity.id if terms.activity else None
    chain.remind_at = terms.starts_at - terms.ahead


async def chain_named(ctx: Context, args: str, example: str) -> tuple[Chain, str]:
    """The open chain J<n> of this building named at the start of ``args`` (locked), or the group's only one."""
    number, rest = take_ref(args, "J")
    if number is None:
        open_here = await store.open_in_room(ctx.session, ctx.message.room_id)
        if not open_here:
            raise Refusal("本群现在没有正在报名的接龙。楼组长可以这样发起：" + EXAMPLE)
        if len(open_here) > 1:
            which = "、".join(f"J{c.id} {short(c.title, 10)}" for c in open_here)
            raise Refusal(f"本群有 {len(open_here)} 个接龙（{which}），请写上编号，例如：{example.replace('J3', f'J{open_here[0].id}')}")
        number = open_here[0].id
    chain = await store.get(ctx.session, number, lock=True)
    assert ctx.building is not None
    if chain is None or chain.building_id != ctx.building.id or chain.status == store.OFFERED:
        raise Refusal(f"本楼没有接龙 J{number}，{LIST_THEM}")
    return chain, rest


def _must_be_open(chain: Chain) -> None:
    if chain.status != store.OPEN:
        raise Refusal(f"J{chain.id}（{short(chain.title, 12)}）{STATUS_WORDS.get(chain.status, chain.status)}，"
                      f"发送 #接龙列表 查看本群正在报名的接龙。")


async def sign_up(ctx: Context, chain: Chain, proxy: str = "", *, waiting_ok: bool = False) -> str:
    """Put the sender (or, with ``proxy``, a name they sign up) on ``chain``'s list; the chain is locked,
    so two people racing for the last place take turns and exactly one gets it."""
    _must_be_open(chain)
    who = f"{proxy}（{ctx.member.display_name}代）" if proxy else ctx.member.display_name
    roll = await store.roll(ctx.session, chain.id)
    mine = await store.find_signup(ctx.session, chain.id, ctx.member.id, proxy)
    if mine is not None:
        where = roll.waiting if mine.waiting else roll.signed
        place = f"候补第 {where.index(mine) + 1} 位" if mine.waiting else f"第 {where.index(mine) + 1} 位"
        raise Refusal(f"{who} 已经在 J{chain.id} 的名单上了（{place}）。不去了请发送 #取消报名 J{chain.id}")
    full = chain.places is not None and len(roll.signed) >= chain.places
    if full and not waiting_ok:
        tail = f" 代 {proxy}" if proxy else ""
        raise Refusal(f"J{chain.id} 已报满（限{chain.places}人）。想排候补请发送 #报名 J{chain.id}{tail} 候补，"
                      f"有人取消时按顺序补上。")
    ctx.session.add(ChainSignup(chain_id=chain.id, member_id=ctx.member.id, proxy_name=proxy, name=who,
                                waiting=full, created_at=ctx.now))
    await ctx.session.flush()
    roll = await store.roll(ctx.session, chain.id)
    said = f"{who} 已排候补第 {len(roll.waiting)} 位" if full else f"{who} 报名成功，第 {len(roll.signed)} 位"
    return f"{said}。\n{listing(chain, roll)}"


def _proxy_and_waiting(rest: str, number: int) -> tuple[str, bool]:
    """``代 王奶奶`` and ``候补`` after the chain's number (J``number``, which the examples show)."""
    text = normalise(rest)
    waiting = "候补" in text
    text = normalise(text.replace("候补", " "))
    proxy = ""
    if text.startswith("代"):
        proxy = text[1:].strip()
        if not proxy:
            raise Refusal(f"请写上替谁报名，例如：#报名 J{number} 代 王奶奶")
        if len(proxy) > NAME_CHARS:
            raise Refusal(f"名字最多 {NAME_CHARS} 个字，例如：#报名 J{number} 代 王奶奶")
    elif text:
        raise Refusal(f"报名请发送 #报名 J{number}；替没有微信的家人邻居报名：#报名 J{number} 代 王奶奶")
    return proxy, waiting


async def start_chain(ctx: Context, text: str) -> Reply:
    """A leader's new chain J<n> in this group from ``text`` (#接龙's words); the list, for the group."""
    assert ctx.building is not None
    if len(await store.open_in_room(ctx.session, ctx.message.room_id)) >= MOST_OPEN:
        raise Refusal(f"本群已有 {MOST_OPEN} 个接龙在报名，请先用 #取消接龙 J编号 取消不需要的。")
    terms = await terms_of(ctx, text)
    chain = Chain(building_id=ctx.building.id, room_id=ctx.message.room_id, author_id=ctx.member.id,
                  status=store.OPEN, created_at=ctx.now)
    apply_terms(chain, terms)
    ctx.session.add(chain)
    await ctx.session.flush()
    minutes = int(terms.ahead.total_seconds() // 60)
    ahead = f"{minutes // 60}小时" if minutes % 60 == 0 else f"{minutes}分钟"
    return ctx.reply(f"{listing(chain, await store.roll(ctx.session, chain.id))}\n"
                     f"活动前{ahead}提醒报名的人；活动后楼组长发送 #签到 J{chain.id} 全部 记分。", mention=())


@router.command("报名", "join", usage="#报名 [J<n>] [代 名字]", example="#报名 J3",
                summary="报名接龙（本群只有一个接龙时可不写编号；替没有微信的人报名：#报名 J3 代 王奶奶）")
async def join(ctx: Context, args: str) -> str:
    """Sign up for a chain, oneself or (代) someone without WeChat; 候补 for the waiting list of a full one."""
    chain, rest = await chain_named(ctx, args, "#报名 J3")
    proxy, waiting = _proxy_and_waiting(rest, chain.id)
    return await sign_up(ctx, chain, proxy, waiting_ok=waiting)


@router.command("取消报名", "leave", usage="#取消报名 J<n> [代 名字]", example="#取消报名 J3", summary="不去了：从接龙名单上划掉自己（或代报的人）")
async def leave(ctx: Context, args: str):
    """Leave a chain; the first on the waiting list takes the place and is told."""
    chain, rest = await chain_named(ctx, args, "#取消报名 J3")
    proxy, _ = _proxy_and_waiting(rest, chain.id)
    _must_be_open(chain)
    mine = await store.find_signup(ctx.session, chain.id, ctx.member.id, proxy)
    if mine is None:
        who = f"{proxy}（你代报的）" if proxy else "你"
        raise Refusal(f"{who}不在 J{chain.id} 的名单上，不用取消。")
    was_waiting = mine.waiting
    await ctx.session.delete(mine)
    await ctx.session.flush()
    roll = await store.roll(ctx.session, chain.id)
    replies: list = []
    if not was_waiting and roll.waiting and (chain.places is None or len(roll.signed) < chain.places):
        moved = roll.waiting[0]
        moved.waiting = False
        await ctx.session.flush()
        roll = await store.roll(ctx.session, chain.id)
        signer = await ctx.session.get(Member, moved.member_id) if moved.member_id else None
        replies.append(ctx.reply(f"有人取消，{moved.name} 从候补补上了 J{chain.id}（{short(chain.title, 12)}，"
                                 f"{chain.when_text}），请准时参加。", mention=(signer.wechat_id,) if signer else ()))
    replies.insert(0, ctx.reply(f"{mine.name} 已取消报名 J{chain.id}。\n{listing(chain, roll)}"))
    return replies


@router.command("接龙列表", "chains", usage="#接龙列表", example="#接龙列表", summary="本群正在报名的接龙")
async def list_chains(ctx: Context) -> str:
    """The group's open chains."""
    rows = await store.open_in_room(ctx.session, ctx.message.room_id)
    if not rows:
        return f"本群现在没有正在报名的接龙。楼组长可以这样发起：{EXAMPLE}"
    lines = [f"本群正在报名的接龙（报名请发送 #报名 加上编号，例如 #报名 J{rows[0].id}）："]
    rolls = await store.rolls(ctx.session, [chain.id for chain in rows])
    for chain in rows:
        roll = rolls[chain.id]
        count = f"{len(roll.signed)}/{chain.places}" if chain.places else f"{len(roll.signed)}"
        waiting = f"，候补 {len(roll.waiting)}" if roll.waiting else ""
        lines.append(f"J{chain.id} {chain.when_text} {short(chain.title, 16)}：已报 {count} 人{waiting}")
    return "\n".join(lines)


@router.command("取消接龙", "cancelchain", permission=leader(), usage="#取消接龙 J<n>", example="#取消接龙 J3", summary="取消本楼的接龙，通知报名的人")
async def cancel(ctx: Context, args: str):
    """Cancel a chain; everyone on its list (and who signed others up) is told."""
    chain, _ = await in_this_building(ctx, Chain, "J", args, noun="接龙", example="#取消接龙 J3（发送 #接龙列表 查看编号）",
                                      missing=LIST_THEM)
    _must_be_open(chain)
    chain.status, chain.closed_at = store.CANCELLED, ctx.now
    roll = await store.roll(ctx.session, chain.id)
    told = await store.wechat_ids(ctx.session, [s.member_id for s in roll.signed + roll.waiting])
    return ctx.reply(f"J{chain.id}（{chain.when_text} {short(chain.title, 16)}）已取消，报名的各位不用去了。"
                     f"——{ctx.member.display_name}", mention=tuple(told))


@router.command("签到", "attend", permission=leader(), usage="#签到 J<n> @某人… 或 #签到 J<n> 全部 [除 @某人]", example="#签到 J3 全部",
                summary="活动后记录谁来了，每人得接龙的积分一次")
async def mark(ctx: Context, args: str):
    """Mark who came: @-mentioned people, or 全部 (everyone signed up) but the @-mentioned after 除."""
    chain, rest = await in_this_building(ctx, Chain, "J", args, noun="接龙", missing=LIST_THEM,
                                         example="#签到 J3 全部，或 #签到 J3 @张阿姨 @王师傅")
    if chain.status not in (store.OPEN, store.CLOSED):
        raise Refusal(f"J{chain.id} {STATUS_WORDS.get(chain.status, chain.status)}，不能签到。")
    assert chain.starts_at is not None and ctx.building is not None
    if ctx.now < chain.starts_at:
        raise Refusal(f"J{chain.id} 的活动还没开始（{chain.when_text}），活动开始后再签到。")
    rest = normalise(rest)
    everyone = rest.startswith("全部")
    but = rest.removeprefix("全部").strip()
    # The @-names are taken out of ``rest``: whether they follow 除 is seen in the words left.
    if everyone and (but not in ("", "除") or (ctx.mentions and but != "除")):
        raise Refusal(f"请这样写：#签到 J{chain.id} 全部，或 #签到 J{chain.id} 全部 除 @李某")
    mentioned = [await queries.get_or_create_member(ctx.session, m.id, m.name, ctx.now, ctx.building.id)
                 for m in dict((m.id, m) for m in ctx.mentions).values()]
    roll = await store.roll(ctx.session, chain.id)
    on_list = [s for s in roll.signed if s.member_id is not None and not s.proxy_name]
    if everyone:
        left_out = {m.id for m in mentioned}
        came_ids = [s.member_id for s in on_list if s.member_id not in left_out]
    elif mentioned:
        came_ids = [m.id for m in mentioned]
    else:
        raise Refusal(f"请@来参加的人，例如：#签到 J{chain.id} @张阿姨 @王师傅，或 #签到 J{chain.id} 全部")
    people = {m.id: m for m in await ctx.session.scalars(select(Member).where(Member.id.in_(came_ids or [0])))}
    paid, again, capped = [], [], []
    if ctx.member.id in came_ids:  # nobody pays themselves: another leader marks the leader
        came_ids = [i for i in came_ids if i != ctx.member.id]
        again_note = f"你自己的签到请另一位楼组长记：#签到 J{chain.id} @{ctx.member.display_name}"
    else:
        again_note = ""
    activity = await ctx.session.get(Activity, chain.activity_id) if chain.activity_id else None
    day = queries.day_bounds(chain.starts_at, ctx.settings.timezone)
    for member_id in dict.fromkeys(came_ids):
        member = people[member_id]
        await ledger.lock_member(ctx.session, member_id)
        points = chain.points
        if points and activity is not None and activity.daily_cap is not None and \
                await store.units_done(ctx.session, member_id, activity.id, *day) >= activity.daily_cap:
            points = 0
        if not await store.attend(ctx.session, chain, member_id, points, ctx.member.id, ctx.now):
            again.append(member)
            continue
        if points:
            await ledger.post(ctx.session, member_id=member_id, building_id=chain.building_id, amount=points,
                              kind="activity", reason=f"接龙 J{chain.id} {short(chain.title, 20)} 签到",
                              author_id=ctx.member.id, now=ctx.now, ref=("chain", chain.id), message_id=ctx.message.id)
            paid.append(member)
        else:
            (capped if chain.points else paid).append(member)
    came = await store.attended(ctx.session, chain.id)
    # Names without WeChat (代报, or from a WeChat 接龙) cannot be @-ed: 全部 counts them as come, unpaid.
    absent = [s.name for s in roll.signed if (s.member_id not in came if s in on_list else not everyone)
              and s.member_id != ctx.member.id]
    replies: list[Reply] = []
    if paid:
        gain = f"各 +{chain.points} 分" if chain.points else "已记录"
        replies.append(ctx.reply(f"J{chain.id} {short(chain.title, 16)} 签到：{'、'.join(m.display_name for m in paid)}"
                                 f" {gain}，谢谢大家！", mention=tuple(m.wechat_id for m in paid)))
    notes = [again_note] if again_note else []
    if again:
        notes.append(f"已经签到过（不重复记分）：{'、'.join(m.display_name for m in again)}")
    if capped and activity is not None:
        notes.append(f"今天的{activity.name}已达每日上限（{activity.daily_cap}{activity.unit}），记了签到没加分："
                     f"{'、'.join(m.display_name for m in capped)}")
    if notes:
        replies.append(ctx.reply("\n".join(notes)))
    if absent:
        # Who signed up but did not come is the leader's to know, not the group's: a private message.
        replies.append(Reply(ctx.message.sender_id, f"J{chain.id} {short(chain.title, 16)}：报了名没有签到的有 "
                                                      f"{'、'.join(absent)}（只发给你）。"))
    if not replies:
        replies.append(ctx.reply(f"J{chain.id} 没有可签到的人。"))
    return replies
