"""The roster (名册) as a spreadsheet: a template, an import that checks every row first, and an export
in the same format, so a roster can be edited and imported again.

An XLSX roster has two sheets: 楼栋 (楼栋, 群ID, 群名) and 居民 (楼栋, 门牌号, 姓名, 微信号, 角色).
A CSV roster is one table with all seven columns; a row without 门牌号 and 姓名 names a building
(and its group). 群ID, 群名, 微信号 and 角色 may be empty.

Importing changes nothing unless every row is right (StaffError lists each bad row with its
row number and why); importing the same file again changes nothing. What a file says about a
resident it lists is what holds afterwards (their roles there included); residents it does not
list are left as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import roster
from storage.models import ROLE_LABELS, ROLE_WORDS, Building, Group, Member, Resident, RoleGrant, RoleName
from storage.queries import natural_order
from storage.staff import StaffError
from storage.building_names import building_name
from storage.staff.sheets import csv_text, fill, new_book, read_table, sheet_names

BUILDINGS, RESIDENTS, NOTES = "楼栋", "居民", "说明"
BUILDING_HEAD = ["楼栋", "群ID", "群名"]
RESIDENT_HEAD = ["楼栋", "门牌号", "姓名", "微信号", "角色"]
CSV_HEAD = ["楼栋", "群ID", "群名", "门牌号", "姓名", "微信号", "角色"]
REQUIRED = {BUILDINGS: ("楼栋",), RESIDENTS: ("楼栋", "门牌号", "姓名")}
ROLE_SEPARATORS = re.compile(r"[、,，/;；\s]+")
ROLE_HINT = "可写：" + "、".join(ROLE_LABELS.values()) + "，多个用、隔开"
BY = "名册"  # who a change made by an import is recorded as

INSTRUCTIONS = [
    "怎样填写这份名册",
    "“楼栋”页：每行一栋楼。群ID 是这栋楼微信群的 ID（…@chatroom，可以先空着，以后在群里发 #绑定），群名只是备注。",
    "“居民”页：每行一位居民。楼栋、门牌号、姓名必填；微信号知道就填（wxid_…），不知道就空着：",
    "    居民第一次在本楼群里发言、群昵称和姓名一致时，机器人自动认出；同名的由楼组长发 #门牌 @某人 门牌号 确认。",
    "角色可空，或写 " + "、".join(ROLE_LABELS.values()) + "，多个用、隔开。",
    "楼栋写 12 或 12号 都按 12号楼 处理。",
    "导入：louzu roster import 名册.xlsx --dry-run 先看会改什么，确认后去掉 --dry-run 再导入一次。",
    "任何一行有错就一行都不导入，并列出每个错行的行号和原因；同一份文件导入两次不会重复。",
]


@dataclass(frozen=True)
class BuildingRow:
    building: str
    room_id: str = ""
    topic: str = ""
    where: str = ""


@dataclass(frozen=True)
class ResidentRow:
    building: str
    door: str
    name: str
    wechat_id: str = ""
    roles: tuple[RoleName, ...] = ()
    where: str = ""


@dataclass
class Roster:
    buildings: list[BuildingRow] = field(default_factory=list)
    residents: list[ResidentRow] = field(default_factory=list)


class RosterErrors(StaffError):
    """Rows that cannot be imported: each with where it is and why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"名册有 {len(problems)} 处错误，没有导入任何一行：\n" + "\n".join(problems))
        self.problems = problems


@dataclass
class ImportResult:
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what a leader still has to confirm


# Reading ------------------------------------------------------------------------------------

def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _columns(head: list[Any], sheet: str, required: tuple[str, ...]) -> dict[str, int]:
    found = {_text(name): i for i, name in enumerate(head) if _text(name)}
    missing = [name for name in required if name not in found]
    if missing:
        raise RosterErrors([f"{sheet} 第 1 行：缺少列 {'、'.join(missing)}（第 1 行应是列名："
                            f"{'、'.join(CSV_HEAD if sheet == 'CSV' else BUILDING_HEAD if sheet == BUILDINGS else RESIDENT_HEAD)}）"])
    return found


def read_roster(path: Path) -> Roster:
    """The rows of a roster file, each checked; RosterErrors with every bad row."""
    if not path.is_file():
        raise StaffError(f"找不到文件 {path}")
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise StaffError(f"{path}：名册要是 .xlsx 或 .csv 文件")
    raw: list[tuple[str, int, dict[str, str]]] = []  # (sheet, row number, cells by heading)
    try:
        if suffix == ".csv":
            tables = [("CSV", read_table(path))]
        else:
            names = sheet_names(path)
            if RESIDENTS not in names and BUILDINGS not in names:
                raise StaffError(f"{path}：找不到“{BUILDINGS}”和“{RESIDENTS}”两页（用 louzu roster template 生成的模板）")
            tables = [(BUILDINGS, read_table(path, BUILDINGS)), (RESIDENTS, read_table(path, RESIDENTS))]
    except (OSError, ValueError, KeyError) as error:
        if isinstance(error, StaffError):
            raise
        raise StaffError(f"{path} 读不了：{error}") from None
    for sheet, rows in tables:
        if not rows:
            continue
        columns = _columns(rows[0][1], sheet, REQUIRED.get(sheet, ("楼栋",)))
        for number, cells in rows[1:]:
            values = {name: _text(cells[i]) if i < len(cells) else "" for name, i in columns.items()}
            if any(values.values()):
                raw.append((sheet, number, values))
    return check_rows(raw)


def check_rows(raw: list[tuple[str, int, dict[str, str]]]) -> Roster:
    problems: list[str] = []
    result = Roster()
    residents_seen: dict[tuple[str, str, str], str] = {}
    wechat_seen: dict[str, str] = {}
    groups_seen: dict[str, tuple[str, str]] = {}
    for sheet, number, values in raw:
        where = f"{sheet} 第 {number} 行" if sheet != "CSV" else f"第 {number} 行"
        wrong: list[str] = []
        building = building_name(values.get("楼栋", ""))
        if not building:
            wrong.append("没有写楼栋")
        elif len(building) > 32:
            wrong.append("楼栋名超过 32 个字")
        door, name = values.get("门牌号", ""), values.get("姓名", "")
        is_building_row = sheet == BUILDINGS or (sheet == "CSV" and not door and not name)
        if is_building_row:
            room, topic = values.get("群ID", ""), values.get("群名", "")
            if " " in room or len(room) > 128:
                wrong.append(f"群ID“{room}”不像群的 ID（不能有空格，一般是 …@chatroom）")
            elif room and room in groups_seen and groups_seen[room][0] != building:
                wrong.append(f"群ID {room} 在{groups_seen[room][1]}已经给了 {groups_seen[room][0]}")
            if not wrong:
                if room:
                    groups_seen[room] = (building, where)
                result.buildings.append(BuildingRow(building, room, topic[:256], where))
        else:
            if not door:
                wrong.append("没有写门牌号")
            elif len(door) > 32:
                wrong.append("门牌号超过 32 个字")
            if not name:
                wrong.append("没有写姓名")
            elif len(name) > 64:
                wrong.append("姓名超过 64 个字")
            wechat_id = values.get("微信号", "")
            if " " in wechat_id or len(wechat_id) > 128:
                wrong.append(f"微信号“{wechat_id}”不对（不能有空格）")
            elif wechat_id and wechat_id in wechat_seen:
                wrong.append(f"微信号 {wechat_id} 和{wechat_seen[wechat_id]}重复")
            roles: list[RoleName] = []
            for word in ROLE_SEPARATORS.split(values.get("角色", "")):
                if not word:
                    continue
                role = ROLE_WORDS.get(word) or next((r for r in RoleName if r.value == word), None)
                if role is None:
                    wrong.append(f"角色“{word}”不认识（{ROLE_HINT}）")
                elif role not in roles:
                    roles.append(role)
            key = (building, door, name)
            if not wrong and key in residents_seen:
                wrong.append(f"和{residents_seen[key]}重复（同一楼栋、门牌号、姓名）")
            if not wrong:
                residents_seen[key] = where
                if wechat_id:
                    wechat_seen[wechat_id] = where
                ordered = tuple(role for role in RoleName if role in roles)  # one order, whatever the sheet's
                result.residents.append(ResidentRow(building, door, name, wechat_id, ordered, where))
        problems += [f"{where}：{reason}" for reason in wrong]
    if problems:
        raise RosterErrors(problems)
    return result


# Writing ------------------------------------------------------------------------------------

def _role_text(roles: tuple[RoleName, ...]) -> str:
    return "、".join(ROLE_LABELS[role] for role in roles)


def write_roster(data: Roster, path: Path) -> None:
    """The roster as XLSX (two sheets and a sheet of instructions) or CSV (one table)."""
    buildings = [(b.building, b.room_id, b.topic) for b in data.buildings]
    residents = [(r.building, r.door, r.name, r.wechat_id, _role_text(r.roles)) for r in data.residents]
    if path.suffix.lower() == ".csv":
        rows = [(b, room, topic, "", "", "", "") for b, room, topic in buildings]
        rows += [(b, "", "", door, name, wechat, roles) for b, door, name, wechat, roles in residents]
        path.write_text(csv_text(CSV_HEAD, rows), encoding="utf-8-sig")
        return
    book = new_book()
    fill(book.create_sheet(BUILDINGS), BUILDING_HEAD, buildings)
    sheet = book.create_sheet(RESIDENTS)
    fill(sheet, RESIDENT_HEAD, residents)
    for column, width in (("B", 10), ("C", 12), ("D", 22), ("E", 24)):
        sheet.column_dimensions[column].width = max(sheet.column_dimensions[column].width or 0, width)
    # Door numbers like 0301 stay text, not a number that loses its 0.
    sheet.column_dimensions["B"].number_format = "@"  # a column style: no empty cells are made
    hint = DataValidation(type="custom", formula1="TRUE", allow_blank=True, showInputMessage=True,
                          promptTitle="角色", prompt=ROLE_HINT)
    sheet.add_data_validation(hint)
    hint.add("E2:E2000")
    notes = book.create_sheet(NOTES)
    fill(notes, ["说明"], [[line] for line in INSTRUCTIONS[1:]], title_lines=[INSTRUCTIONS[0]])
    notes.column_dimensions["A"].width = 110
    book.active = book.sheetnames.index(RESIDENTS)
    book.save(path)


def write_template(path: Path) -> None:
    write_roster(Roster(), path)


async def roster_of(session: AsyncSession) -> tuple[Roster, int]:
    """The roster as the database has it now (what `roster export` writes), and how many members with a
    home building are not on it (they have no 门牌号, so they cannot be written as rows)."""
    result = Roster()
    buildings = list(await session.scalars(select(Building).order_by(Building.name)))
    names = {b.id: b.name for b in buildings}
    groups: dict[int, list[Group]] = {}
    for group in await session.scalars(select(Group).where(Group.building_id.is_not(None)).order_by(Group.room_id)):
        groups.setdefault(group.building_id, []).append(group)
    for building in buildings:
        for group in groups.get(building.id, []) or [None]:
            result.buildings.append(BuildingRow(building.name, group.room_id if group else "",
                                                group.topic if group and group.topic != group.room_id else ""))
    grants: dict[tuple[int, int], set[str]] = {}
    for member_id, building_id, role in await session.execute(
            select(RoleGrant.member_id, RoleGrant.building_id, RoleGrant.role)):
        grants.setdefault((member_id, building_id), set()).add(role)
    rows = (await session.execute(select(Resident, Member).outerjoin(Member, Member.id == Resident.member_id))).all()
    for resident, member in rows:
        if member is not None:
            held = grants.get((member.id, resident.building_id), set())
            roles = tuple(role for role in RoleName if role.value in held)
            wechat_id = member.wechat_id
        else:
            roles, wechat_id = tuple(roster.roles_of(resident)), resident.wechat_id or ""
        result.residents.append(ResidentRow(names[resident.building_id], resident.door, resident.name, wechat_id,
                                            roles))
    result.residents.sort(key=lambda r: (r.building, _door_order(r.door), r.name))
    linked = {member.id for _, member in rows if member is not None}
    off_roster = sum(1 for member_id in await session.scalars(select(Member.id).where(Member.building_id.is_not(None)))
                     if member_id not in linked)
    return result, off_roster


_door_order = natural_order


# Importing ----------------------------------------------------------------------------------

async def import_roster(session: AsyncSession, data: Roster, now: datetime,
                        advance: Callable[[int], None] = lambda n: None) -> ImportResult:
    """Bring the database in line with ``data`` in the caller's transaction; what changed, in words.

    Raises RosterErrors (the caller's transaction then changes nothing) when a row conflicts with
    what the database holds.
    """
    done = ImportResult()
    problems: list[str] = []
    buildings = {b.name: b for b in await session.scalars(select(Building))}

    async def building_of(name: str) -> Building:
        if name not in buildings:
            buildings[name] = Building(name=name, created_at=now)
            session.add(buildings[name])
            await session.flush()
            done.changes.append(f"新建楼栋 {name}")
        return buildings[name]

    for row in data.buildings:
        building = await building_of(row.building)
        if not row.room_id:
            continue
        group = await session.get(Group, row.room_id)
        if group is None:
            group = Group(room_id=row.room_id, topic=row.topic or row.room_id)
            session.add(group)
        if group.building_id != building.id:
            if group.building_id is not None:
                old = next((b.name for b in buildings.values() if b.id == group.building_id), "另一栋楼")
                done.changes.append(f"群 {row.room_id} 从 {old} 改绑到 {building.name}")
            else:
                done.changes.append(f"群 {row.room_id} 绑定到 {building.name}")
            group.building_id, group.bound_at, group.bound_by = building.id, now, BY
    await session.flush()

    for row in data.residents:
        advance(1)
        building = await building_of(row.building)
        label = f"{building.name} {row.door} {row.name}"
        resident = await session.scalar(select(Resident).where(
            Resident.building_id == building.id, Resident.door == row.door, Resident.name == row.name))
        roles_text = ",".join(role.value for role in row.roles)
        created = resident is None
        if resident is None:
            resident = Resident(building_id=building.id, door=row.door, name=row.name, roles=roles_text,
                                wechat_id=row.wechat_id or None, created_at=now)
            session.add(resident)
            await session.flush()
            done.changes.append(f"新增居民 {label}" + (f"（{_role_text(row.roles)}）" if row.roles else ""))
        elif resident.roles != roles_text:
            resident.roles = roles_text
            if resident.member_id is None:
                done.changes.append(f"{label} 的角色改为 {_role_text(row.roles) or '无'}")
        member: Member | None = None
        if row.wechat_id:
            member = await session.scalar(select(Member).where(Member.wechat_id == row.wechat_id))
            if member is None:
                member = Member(wechat_id=row.wechat_id, display_name=row.name, building_id=building.id,
                                created_at=now)
                session.add(member)
                await session.flush()
            if resident.member_id not in (None, member.id):
                problems.append(f"{row.where}：{label} 已对应另一个微信号，不能改成 {row.wechat_id}"
                                f"（先在 louzu roster export 导出的名册里核对）")
                continue
        elif resident.member_id is None:
            named = list(await session.scalars(select(Member).where(
                Member.building_id == building.id, Member.display_name == row.name)))
            named = [m for m in named if await roster.resident_of(session, m.id) is None]
            same_name = await roster.unlinked_named(session, building.id, row.name)
            if len(named) == 1 and len(same_name) == 1:
                member = named[0]
                done.changes.append(f"按群昵称认出 {label}")
            elif named:
                done.notes.append(f"{label}：本楼群里有 {len(named)} 位叫 {row.name} 的成员，请楼组长在群里发 "
                                  f"#门牌 @{row.name} {row.door} 确认是谁")
        if member is not None and resident.member_id != member.id:
            other = await roster.resident_of(session, member.id)
            if other is not None:
                problems.append(f"{row.where}：微信号 {member.wechat_id} 已是 {other.door} {other.name} 的，"
                                f"不能再给 {label}")
                continue
            added = await roster.link(session, resident, member, now, BY)
            if not created:
                if row.wechat_id:
                    done.changes.append(f"{label} 的微信号：{row.wechat_id}")
                done.changes += [f"{label} 设为{ROLE_LABELS[role]}" for role in added]
        elif member is not None and member.building_id != building.id:
            member.building_id = building.id
            done.changes.append(f"{label} 的楼栋改为 {building.name}")
        if resident.member_id is not None:
            await _roles_exactly(session, resident.member_id, building, row, label, now, done)
    if problems:
        raise RosterErrors(problems)
    await session.flush()
    return done


async def _roles_exactly(session: AsyncSession, member_id: int, building: Building, row: ResidentRow, label: str,
                         now: datetime, done: ImportResult) -> None:
    held = set(await session.scalars(select(RoleGrant.role).where(
        RoleGrant.member_id == member_id, RoleGrant.building_id == building.id)))
    wanted = {role.value for role in row.roles}
    for role in row.roles:
        if role.value not in held:
            session.add(RoleGrant(member_id=member_id, building_id=building.id, role=role.value, granted_by=BY,
                                  granted_at=now))
            done.changes.append(f"{label} 设为{ROLE_LABELS[role]}")
    for value in sorted(held - wanted):
        await session.execute(delete(RoleGrant).where(RoleGrant.member_id == member_id,
                                                      RoleGrant.building_id == building.id, RoleGrant.role == value))
        done.changes.append(f"{label} 不再是{ROLE_LABELS[RoleName(value)]}")
