"""The love-bank month (爱心储蓄银行月度台账) the committee gives the street office.

Every ledger entry of the month, and accounts per member and per building: the balance at the
month's start, what came in or went out by kind, the balance at its end. Everything is summed
from the ledger itself, so the totals reconcile with it: for each account, closing = opening +
the month's columns; the members' closings and the buildings' closings both add up to the
ledger's sum at the month's end. A kind not known here goes to 其他, so nothing is ever left out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Building, LedgerEntry, Member, Resident
from storage.queries import NOT_EARNED

# The month's columns, in the order the street office reads them: heading and the ledger kinds in it.
COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("活动打卡", ("claim",)),
    ("报修奖励", ("report_bonus",)),
    ("点赞", ("thanks",)),
    ("巡查", ("patrol",)),
    ("奖励加分", ("award",)),
    ("扣分", ("deduction",)),
    ("兑换礼品", ("redemption", "redemption_reversal")),
)
OTHER = "其他"
HEADINGS = tuple(name for name, _ in COLUMNS) + (OTHER,)
KIND_WORDS = {"claim": "打卡", "report_bonus": "报修奖励", "thanks": "点赞", "patrol": "巡查", "award": "加分",
              "deduction": "扣分", "redemption": "兑换礼品", "redemption_reversal": "取消兑换", "activity": "接龙活动"}
REF_LETTERS = {"claim": "C", "redemption": "X", "report": "R", "chain": "J"}
REF_WORDS = {"thanks": "点赞", "patrol": "巡查"}
NO_BUILDING = "未分楼"
_COLUMN_OF = {kind: name for name, kinds in COLUMNS for kind in kinds}


def column_of(kind: str) -> str:
    return _COLUMN_OF.get(kind, OTHER)


def reference(ref_type: str | None, ref_id: int | None) -> str:
    if not ref_type or ref_id is None:
        return ""
    if ref_type in REF_LETTERS:
        return f"{REF_LETTERS[ref_type]}{ref_id}"
    return f"{REF_WORDS.get(ref_type, ref_type)} {ref_id}"


@dataclass
class Line:
    """One ledger entry as staff read it (times local, without a zone)."""

    id: int
    time: datetime
    member: str
    door: str
    building: str
    kind: str
    amount: int
    reason: str
    author: str
    reference: str


@dataclass
class Account:
    """A member's or a building's month: opening balance, the month's columns, closing balance."""

    name: str
    door: str = ""
    building: str = ""
    opening: int = 0
    columns: dict[str, int] = field(default_factory=lambda: dict.fromkeys(HEADINGS, 0))
    earned: int = 0  # what the rankings count (everything but gifts)

    @property
    def change(self) -> int:
        return sum(self.columns.values())

    @property
    def closing(self) -> int:
        return self.opening + self.change

    def add(self, column: str, amount: int, earned: bool) -> None:
        self.columns[column] += amount
        if earned:
            self.earned += amount


@dataclass
class MonthStatement:
    label: str  # 2026年11月
    start: datetime
    end: datetime
    lines: list[Line]
    members: list[Account]
    buildings: list[Account]
    total: Account
    ledger_closing: int  # the ledger's own sum at the month's end, to check the totals against

    @property
    def reconciles(self) -> bool:
        return (self.total.closing == self.ledger_closing
                == sum(a.closing for a in self.members) == sum(a.closing for a in self.buildings))

    def per_building(self) -> dict[str, list[Account]]:
        grouped: dict[str, list[Account]] = defaultdict(list)
        for account in self.members:
            grouped[account.building].append(account)
        return dict(sorted(grouped.items()))


def display(member: Member | None) -> str:
    if member is None:
        return "系统"
    return member.display_name or member.wechat_id


async def month_statement(session: AsyncSession, start: datetime, end: datetime, tz: ZoneInfo,
                          advance: Callable[[int], None] = lambda n: None) -> MonthStatement:
    """The statement of [start, end) (a month, in the community's time zone)."""
    buildings = dict((await session.execute(select(Building.id, Building.name))).all())
    doors = dict((await session.execute(select(Resident.member_id, Resident.door)
                                        .where(Resident.member_id.is_not(None)))).all())
    members = {m.id: m for m in await session.scalars(select(Member))}
    before = LedgerEntry.created_at < start

    def member_account(member_id: int) -> Account:
        member = members[member_id]
        return Account(display(member), doors.get(member_id, ""), buildings.get(member.building_id, NO_BUILDING))

    by_member: dict[int, Account] = {}
    for member_id, opening in await session.execute(
            select(LedgerEntry.member_id, func.sum(LedgerEntry.amount)).where(before).group_by(LedgerEntry.member_id)):
        by_member[member_id] = member_account(member_id)
        by_member[member_id].opening = int(opening)
    by_building: dict[str, Account] = {}

    def building_account(building_id: int | None) -> Account:
        name = buildings.get(building_id, NO_BUILDING) if building_id is not None else NO_BUILDING
        if name not in by_building:
            by_building[name] = Account(name, building=name)
        return by_building[name]

    for building_id, opening in await session.execute(
            select(LedgerEntry.building_id, func.sum(LedgerEntry.amount)).where(before)
            .group_by(LedgerEntry.building_id)):
        building_account(building_id).opening += int(opening)

    author = aliased(Member)
    rows = await session.execute(
        select(LedgerEntry, author).outerjoin(author, author.id == LedgerEntry.author_id)
        .where(LedgerEntry.created_at >= start, LedgerEntry.created_at < end)
        .order_by(LedgerEntry.created_at, LedgerEntry.id))
    lines = []
    total = Account("合计", building="全社区")
    for entry, writer in rows:
        advance(1)
        account = by_member.get(entry.member_id) or by_member.setdefault(entry.member_id,
                                                                          member_account(entry.member_id))
        column, earned = column_of(entry.kind), entry.kind not in NOT_EARNED
        account.add(column, entry.amount, earned)
        building_account(entry.building_id).add(column, entry.amount, earned)
        total.add(column, entry.amount, earned)
        lines.append(Line(entry.id, entry.created_at.astimezone(tz).replace(tzinfo=None), account.name, account.door,
                          buildings.get(entry.building_id, NO_BUILDING), KIND_WORDS.get(entry.kind, entry.kind),
                          entry.amount, entry.reason,
                          display(writer) if entry.author_id is not None else "系统",
                          reference(entry.ref_type, entry.ref_id)))
    total.opening = sum(a.opening for a in by_member.values())
    ledger_closing = int(await session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                                              .where(LedgerEntry.created_at < end)) or 0)
    local = start.astimezone(tz)
    return MonthStatement(
        label=f"{local.year}年{local.month}月", start=start, end=end, lines=lines,
        members=sorted(by_member.values(), key=lambda a: (a.building, a.door, a.name)),
        buildings=sorted(by_building.values(), key=lambda a: a.name), total=total, ledger_closing=ledger_closing)

