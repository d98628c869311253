"""Reports (随手拍) in storage: each change a history row, photos on disk, and the queries they need."""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Building, Group, LedgerEntry, Member, PendingPhoto, Report, ReportEvent, ReportPhoto
from storage.queries import could_be_id

OPEN, ASSIGNED, RESOLVED, CLOSED = "open", "assigned", "resolved", "closed"
NOT_CLOSED = (OPEN, ASSIGNED, RESOLVED)
UNRESOLVED = (OPEN, ASSIGNED)

PHOTO_WINDOW = timedelta(minutes=2)  # a photo this close to #报修, by the same person, belongs to it
DUPLICATE_WINDOW = timedelta(hours=24)  # a same-category report this recent may be the same problem
CONFIRM_WITHIN = timedelta(hours=72)  # a resolved report nobody confirms closes by itself

BONUS_KIND = "report_bonus"

# Steps of a report's history. Each row stores the status it leaves the report in, and
# what else it set (assignee, duplicate_of), so replaying the rows rebuilds the report.
OPENED, PHOTO, ASSIGN, RESOLVE, CONFIRM, REOPEN, MERGE, MERGED_IN, AUTO_CLOSE = (
    "open", "photo", "assign", "resolve", "confirm", "reopen", "merge", "merged_in", "auto_close")
PHOTO_MOVED = "photo_moved"  # a photo went on to the same person's next report, nearer to it in time


@dataclass
class ReportState:
    """What a report's history says it is now."""

    status: str = OPEN
    assignee_id: int | None = None
    duplicate_of_id: int | None = None
    resolved_at: datetime | None = None
    updated_at: datetime | None = None


def apply(report: Report | ReportState, event: ReportEvent) -> None:
    """What one history step does to a report; the same function serves live changes and replays."""
    report.status = event.status
    report.updated_at = event.created_at
    if event.assignee_id is not None:
        report.assignee_id = event.assignee_id
    if event.duplicate_of_id is not None:
        report.duplicate_of_id = event.duplicate_of_id
    if event.action in (RESOLVE, MERGE):
        report.resolved_at = event.created_at
    elif event.action == REOPEN:
        report.resolved_at = None


def replay(events: list[ReportEvent]) -> ReportState:
    """A report's state from its history alone (oldest step first)."""
    state = ReportState()
    for event in events:
        apply(state, event)
    return state


async def record(session: AsyncSession, report: Report, action: str, now: datetime, *, actor: Member | None,
                 status: str | None = None, note: str = "", assignee: Member | None = None,
                 duplicate_of: Report | None = None) -> ReportEvent:
    """Append one step to the report's history and apply it, in the caller's transaction."""
    event = ReportEvent(report_id=report.id, action=action, status=status or report.status,
                        actor_id=actor.id if actor else None, note=note, created_at=now,
                        assignee_id=assignee.id if assignee else None,
                        duplicate_of_id=duplicate_of.id if duplicate_of else None)
    session.add(event)
    apply(report, event)
    await session.flush()
    return event


async def open_report(session: AsyncSession, *, building: Building, reporter: Member, room_id: str,
                      category: str, description: str, now: datetime) -> Report:
    report = Report(building_id=building.id, reporter_id=reporter.id, room_id=room_id, category=category,
                    description=description, status=OPEN, created_at=now, updated_at=now)
    session.add(report)
    await session.flush()
    await record(session, report, OPENED, now, actor=reporter, status=OPEN, note=description)
    return report


async def get_report(session: AsyncSession, number: int, *, lock: bool = False) -> Report | None:
    """Report R<number>; ``lock`` serialises concurrent changes to it (a row lock on PostgreSQL)."""
    if not could_be_id(number):
        return None
    stmt = select(Report).where(Report.id == number)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(stmt)


async def similar_open(session: AsyncSession, report: Report) -> Report | None:
    """An earlier report not yet closed, same building and category, from the last 24 hours."""
    return await session.scalar(select(Report).where(
        Report.building_id == report.building_id, Report.category == report.category, Report.id != report.id,
        Report.status.in_(NOT_CLOSED), Report.created_at >= report.created_at - DUPLICATE_WINDOW,
    ).order_by(Report.id.desc()).limit(1))


async def just_opened_by(session: AsyncSession, member: Member, room_id: str, now: datetime) -> Report | None:
    """This person's report opened in this group within the photo window, the newest."""
    return await session.scalar(select(Report).where(
        Report.reporter_id == member.id, Report.room_id == room_id, Report.created_at >= now - PHOTO_WINDOW,
        Report.created_at <= now).order_by(Report.created_at.desc(), Report.id.desc()).limit(1))


async def waiting_photos(session: AsyncSession, room_id: str, sender_id: str, now: datetime) -> list[PendingPhoto]:
    """Photos this person sent in this group within the photo window that belong to a report opened ``now``.

    That is those no report has taken, and those a report of theirs took that was opened longer
    before the photo than ``now`` is after it: a photo belongs to the report nearest to it in time.
    """
    rows = (await session.execute(select(PendingPhoto, Report.created_at).outerjoin(
        Report, Report.id == PendingPhoto.report_id).where(
        PendingPhoto.room_id == room_id, PendingPhoto.sender_id == sender_id,
        PendingPhoto.created_at >= now - PHOTO_WINDOW, PendingPhoto.created_at <= now).order_by(PendingPhoto.id))).all()
    return [photo for photo, taken_at in rows
            if taken_at is None or now - photo.created_at < photo.created_at - taken_at]


async def attach_photo(session: AsyncSession, report: Report, photo: "SavedPhoto", now: datetime,
                       actor: Member | None) -> bool:
    """Attach a stored photo to a report (noted in its history); False when it already has that photo."""
    exists = await session.scalar(select(ReportPhoto.id).where(
        ReportPhoto.report_id == report.id, ReportPhoto.sha256 == photo.sha256))
    if exists:
        return False
    session.add(ReportPhoto(report_id=report.id, path=photo.name, sha256=photo.sha256, created_at=now))
    if report.photo_path is None:
        report.photo_path = photo.name
    await record(session, report, PHOTO, now, actor=actor)
    return True


async def move_photo(session: AsyncSession, photo: PendingPhoto, to: Report, now: datetime,
                     actor: Member | None) -> Report:
    """Take a photo off the report that has it (noted in that report's history), for ``to``; that report."""
    old = await session.get(Report, photo.report_id)
    assert old is not None
    await session.execute(delete(ReportPhoto).where(ReportPhoto.report_id == old.id,
                                                    ReportPhoto.sha256 == photo.sha256))
    if old.photo_path == photo.path:
        old.photo_path = await session.scalar(select(ReportPhoto.path).where(ReportPhoto.report_id == old.id)
                                              .order_by(ReportPhoto.id).limit(1))
    await record(session, old, PHOTO_MOVED, now, actor=actor, note=f"R{to.id}")
    photo.report_id = to.id
    return old


async def photos_of(session: AsyncSession, report_id: int) -> list[ReportPhoto]:
    return list(await session.scalars(select(ReportPhoto).where(ReportPhoto.report_id == report_id)
                                      .order_by(ReportPhoto.id)))


async def duplicates_of(session: AsyncSession, report: Report) -> list[Report]:
    """Reports merged into this one."""
    return list(await session.scalars(select(Report).where(Report.duplicate_of_id == report.id)
                                      .order_by(Report.id)))


@dataclass(frozen=True)
class Step:
    """One history row with the people it names."""

    event: ReportEvent
    actor: Member | None
    assignee: Member | None


async def history(session: AsyncSession, report_id: int) -> list[Step]:
    events = list(await session.scalars(select(ReportEvent).where(ReportEvent.report_id == report_id)
                                        .order_by(ReportEvent.id)))
    people = await members_by_id(session, {i for e in events for i in (e.actor_id, e.assignee_id) if i})
    return [Step(e, people.get(e.actor_id or 0), people.get(e.assignee_id or 0)) for e in events]


async def last_actor(session: AsyncSession, report_id: int, action: str) -> Member | None:
    """Who took the report's latest step of this kind (e.g. who resolved it)."""
    return await session.scalar(select(Member).join(ReportEvent, ReportEvent.actor_id == Member.id).where(
        ReportEvent.report_id == report_id, ReportEvent.action == action).order_by(ReportEvent.id.desc()).limit(1))


async def members_by_id(session: AsyncSession, ids: set[int]) -> dict[int, Member]:
    if not ids:
        return {}
    return {m.id: m for m in await session.scalars(select(Member).where(Member.id.in_(ids)))}


async def not_closed_of(session: AsyncSession, member: Member, building_id: int) -> list[Report]:
    """A person's reports in this building that are not closed, oldest first."""
    return list(await session.scalars(select(Report).where(
        Report.reporter_id == member.id, Report.building_id == building_id, Report.status.in_(NOT_CLOSED),
    ).order_by(Report.created_at, Report.id)))


async def not_closed_in(session: AsyncSession, building_id: int) -> list[Report]:
    """The building's reports that are not closed, oldest first."""
    return list(await session.scalars(select(Report).where(
        Report.building_id == building_id, Report.status.in_(NOT_CLOSED)).order_by(Report.created_at, Report.id)))


async def room_of(session: AsyncSession, report: Report) -> str | None:
    """Where to talk about a report: the group it was made in, else one of its building's groups."""
    if report.room_id:
        return report.room_id
    rooms = await session.scalars(select(Group.room_id).where(Group.building_id == report.building_id)
                                  .order_by(Group.room_id).limit(1))
    return rooms.first()


async def open_reports_overdue(session: AsyncSession, now: datetime, hours: int | float) -> list[Report]:
    """Reports still waiting to be fixed (open or assigned) that were opened ``hours`` ago or more, oldest first."""
    return list(await session.scalars(select(Report).where(
        Report.status.in_(UNRESOLVED), Report.created_at <= now - timedelta(hours=hours),
    ).order_by(Report.created_at, Report.id)))


async def unconfirmed_since(session: AsyncSession, now: datetime) -> list[Report]:
    """Resolved reports whose reporter has not answered within CONFIRM_WITHIN."""
    return list(await session.scalars(select(Report).where(
        Report.status == RESOLVED, Report.resolved_at <= now - CONFIRM_WITHIN,
    ).order_by(Report.resolved_at, Report.id).with_for_update()))


async def bonus_paid(session: AsyncSession, report: Report) -> bool:
    """Whether the reporter already had the bonus for this report (it is paid once, ever)."""
    return await session.scalar(select(LedgerEntry.id).where(
        LedgerEntry.kind == BONUS_KIND, LedgerEntry.ref_type == "report", LedgerEntry.ref_id == report.id,
    ).limit(1)) is not None


# Photos ------------------------------------------------------------------------------

FORMATS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp", "BMP": "bmp", "TIFF": "tif"}
# Phones' formats Pillow cannot open by itself, known by the brand of their ISO-BMFF 'ftyp' box (its
# bytes, never the file's name: a file named .heic is not a picture for that).
HEIF_BRANDS = {b"heic": "heic", b"heix": "heic", b"heim": "heic", b"heis": "heic", b"hevc": "heic",
               b"hevx": "heic", b"hevm": "heic", b"hevs": "heic", b"mif1": "heif", b"msf1": "heif",
               b"avif": "avif", b"avis": "avif"}


class PhotoTooLarge(Exception):
    """A photo bigger than LOUZU_MAX_PHOTO_BYTES."""


class NotAPicture(Exception):
    """An attachment that is not a picture we keep."""


@dataclass(frozen=True)
class SavedPhoto:
    """A photo in the media directory: ``name`` is ``<sha256>.<ext>``, relative to that directory."""

    name: str
    sha256: str


def save_photo(source: Path, media_dir: Path, max_bytes: int) -> SavedPhoto:
    """Copy a picture into the media directory under its content hash (made if missing).

    Raises PhotoTooLarge or NotAPicture; the same picture sent twice is stored once.
    """
    try:
        size = source.stat().st_size
    except OSError:
        raise NotAPicture(str(source)) from None
    if size > max_bytes:
        raise PhotoTooLarge(size)
    extension = _picture_extension(source)
    data = source.read_bytes()[: max_bytes + 1]
    if len(data) > max_bytes:  # it grew after we looked
        raise PhotoTooLarge(len(data))
    digest = hashlib.sha256(data).hexdigest()
    media_dir.mkdir(parents=True, exist_ok=True)
    name = f"{digest}.{extension}"
    target = media_dir / name
    if not target.exists():
        # Write beside it and rename, so a reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=media_dir, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return SavedPhoto(name, digest)


def _picture_extension(source: Path) -> str:
    try:
        with warnings.catch_warnings():
            # We only read the header; a very large picture is still a picture.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                kind = image.format or ""
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        kind = ""
    if kind in FORMATS:
        return FORMATS[kind]
    try:
        with source.open("rb") as file:
            head = file.read(64)
    except OSError:
        raise NotAPicture(str(source)) from None
    brand = heif_brand(head)
    if brand is None:
        raise NotAPicture(str(source))
    return brand


def heif_brand(head: bytes) -> str | None:
    """"heic", "heif" or "avif" when ``head`` (a file's first bytes) opens an ftyp box of a picture brand.

    The box is: its size (4 bytes), b"ftyp", the major brand, a version, then compatible brands;
    the major brand or a compatible one names the kind ("mif1" alone: a HEIF still picture).
    """
    if len(head) < 16 or head[4:8] != b"ftyp":
        return None
    size = int.from_bytes(head[:4], "big")
    if size < 16:
        return None
    end = min(size, len(head))
    brands = [head[8:12]] + [head[i:i + 4] for i in range(16, end - 3, 4)]
    kinds = [HEIF_BRANDS[b] for b in brands if b in HEIF_BRANDS]
    if not kinds:
        return None
    for preferred in ("heic", "avif"):
        if preferred in kinds:
            return preferred
    return kinds[0]


async def keep_pending_photo(session: AsyncSession, room_id: str, sender_id: str, photo: SavedPhoto,
                             now: datetime, report: Report | None = None) -> PendingPhoto:
    """Note a photo someone sent, and the report that took it (if one did): a later report may be nearer."""
    pending = PendingPhoto(room_id=room_id, sender_id=sender_id, path=photo.name, sha256=photo.sha256,
                           created_at=now, report_id=report.id if report else None)
    session.add(pending)
    await session.flush()
    return pending


async def purge_pending_photos(session: AsyncSession, now: datetime, media_dir: Path) -> int:
    """Forget photos no #报修 took within the window, and their files unless a report keeps them.

    Pictures posted as ordinary chat are not ours to keep. Returns how many were dropped.
    """
    stale = list(await session.scalars(select(PendingPhoto).where(
        PendingPhoto.report_id.is_(None), PendingPhoto.created_at < now - PHOTO_WINDOW)))
    if not stale:
        return 0
    await session.execute(delete(PendingPhoto).where(PendingPhoto.id.in_([p.id for p in stale])))
    hashes = {p.sha256 for p in stale}
    still_used = set(await session.scalars(select(ReportPhoto.sha256).where(ReportPhoto.sha256.in_(hashes))))
    still_used |= set(await session.scalars(select(PendingPhoto.sha256).where(PendingPhoto.sha256.in_(hashes))))
    for photo in stale:
        if photo.sha256 not in still_used:
            (media_dir / Path(photo.path).name).unlink(missing_ok=True)
    return len(stale)


# Exports -------------------------------------------------------------------------------

@dataclass
class ExportedReport:
    """A report with what an export needs: building, people, history and photos."""

    report: Report
    building: str
    reporter: Member | None
    assignee: Member | None
    steps: list[Step] = field(default_factory=list)
    photos: list[ReportPhoto] = field(default_factory=list)


async def reports_between(session: AsyncSession, start: datetime, end: datetime | None) -> list[ExportedReport]:
    """Reports opened in [start, end), oldest first, with their history and photos."""
    stmt = (select(Report, Building.name).join(Building, Building.id == Report.building_id)
            .where(Report.created_at >= start).order_by(Report.created_at, Report.id))
    if end is not None:
        stmt = stmt.where(Report.created_at < end)
    return await with_history(session, list((await session.execute(stmt)).all()))


async def with_history(session: AsyncSession, rows: list[tuple[Report, str]]) -> list[ExportedReport]:
    """Each (report, building name) of ``rows``, in that order, with its people, history and photos."""
    if not rows:
        return []
    ids = [report.id for report, _ in rows]
    events = list(await session.scalars(select(ReportEvent).where(ReportEvent.report_id.in_(ids))
                                        .order_by(ReportEvent.id)))
    photos = list(await session.scalars(select(ReportPhoto).where(ReportPhoto.report_id.in_(ids))
                                        .order_by(ReportPhoto.id)))
    people = await members_by_id(session, {i for r, _ in rows for i in (r.reporter_id, r.assignee_id) if i}
                                 | {i for e in events for i in (e.actor_id, e.assignee_id) if i})
    exported = {report.id: ExportedReport(report, name, people.get(report.reporter_id),
                                          people.get(report.assignee_id or 0)) for report, name in rows}
    for event in events:
        exported[event.report_id].steps.append(
            Step(event, people.get(event.actor_id or 0), people.get(event.assignee_id or 0)))
    for photo in photos:
        exported[photo.report_id].photos.append(photo)
    return list(exported.values())


# How reports read: in chat, in the exports and in the overdue posts alike -------------------

STATUS_LABELS = {OPEN: "待处理", ASSIGNED: "已指派", RESOLVED: "已处理，待确认", CLOSED: "已关闭"}
# What each step was, as a column of a spreadsheet (step_text says it as a sentence in chat).
ACTION_WORDS = {OPENED: "报修", PHOTO: "附照片", ASSIGN: "指派", RESOLVE: "处理", CONFIRM: "报修人确认解决",
                REOPEN: "报修人反馈未解决", MERGE: "合并为重复", MERGED_IN: "并入重复报修", AUTO_CLOSE: "自动关闭",
                PHOTO_MOVED: "照片改附到后一次报修"}


def name_of(member: Member | None) -> str:
    """The name shown for a person: never their WeChat id."""
    return (member.display_name if member else "") or "居民"


def status_label(report: Report) -> str:
    if report.status == CLOSED and report.duplicate_of_id:
        return f"已合并到 R{report.duplicate_of_id}"
    return STATUS_LABELS.get(report.status, report.status)


def step_text(step: Step) -> str:
    """One history row as people read it (without the time)."""
    event = step.event
    what = {
        OPENED: "报修",
        PHOTO: "附上照片",
        ASSIGN: f"指派给 {name_of(step.assignee)}",
        RESOLVE: "标为已处理" + (f"：{event.note}" if event.note else ""),
        CONFIRM: "确认已解决",
        REOPEN: "反馈未解决" + (f"：{event.note}" if event.note else ""),
        MERGE: f"合并到 R{event.duplicate_of_id}（重复报修）",
        MERGED_IN: f"把 {event.note} 合并进来",
        AUTO_CLOSE: event.note or "自动关闭",
        PHOTO_MOVED: f"把照片改附到 {event.note}（离那次报修更近）",
    }.get(event.action, event.action)
    return f"{name_of(step.actor)} {what}" if step.actor else what  # the bot's own steps need no name
