"""Reports as the desk lists them: filtered by building, status (or overdue), category and age."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Building, Member, Report, ReportPhoto
from storage.reports import ExportedReport, Step, history, members_by_id, photos_of, with_history

OPEN = ("open", "assigned")
STATUSES = ("open", "overdue", "assigned", "resolved", "closed")


@dataclass(frozen=True)
class ReportFilter:
    building_id: int | None = None
    status: str = ""  # "", one of STATUSES ("open": open or assigned; "overdue": open for too long)
    category: str = ""
    older_than_days: int | None = None


@dataclass(frozen=True)
class ReportLine:
    report: Report
    building: str
    reporter: Member | None
    assignee: Member | None


def _filtered(wanted: ReportFilter, now: datetime, overdue_hours: int):
    query = select(Report, Building.name).join(Building, Building.id == Report.building_id)
    if wanted.building_id is not None:
        query = query.where(Report.building_id == wanted.building_id)
    if wanted.status in ("open", "overdue"):
        query = query.where(Report.status.in_(OPEN))
    elif wanted.status:
        query = query.where(Report.status == wanted.status)
    if wanted.status == "overdue":
        query = query.where(Report.created_at < now - timedelta(hours=overdue_hours))
    if wanted.category:
        query = query.where(Report.category == wanted.category)
    if wanted.older_than_days is not None:
        query = query.where(Report.created_at < now - timedelta(days=wanted.older_than_days))
    return query


async def list_reports(session: AsyncSession, wanted: ReportFilter, now: datetime, overdue_hours: int,
                       limit: int = 500) -> list[ReportLine]:
    query = _filtered(wanted, now, overdue_hours).order_by(Report.id.desc()).limit(limit)
    rows = (await session.execute(query)).all()
    people = await members_by_id(session, {i for report, _ in rows for i in (report.reporter_id, report.assignee_id) if i})
    return [ReportLine(report, name, people.get(report.reporter_id), people.get(report.assignee_id or 0))
            for report, name in rows]


async def count_reports(session: AsyncSession, wanted: ReportFilter, now: datetime, overdue_hours: int) -> int:
    query = _filtered(wanted, now, overdue_hours).with_only_columns(func.count(Report.id)).order_by(None)
    return int(await session.scalar(query) or 0)


async def reports_to_export(session: AsyncSession, wanted: ReportFilter, now: datetime,
                            overdue_hours: int) -> list[ExportedReport]:
    """All the reports the filter finds, oldest first, each with its history and photos (for the exports)."""
    query = _filtered(wanted, now, overdue_hours).order_by(Report.created_at, Report.id)
    return await with_history(session, list((await session.execute(query)).all()))


async def categories(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(Report.category).distinct().order_by(Report.category)))


@dataclass(frozen=True)
class ReportPage:
    line: ReportLine
    photos: list[ReportPhoto]
    steps: list[Step]


async def report_page(session: AsyncSession, number: int) -> ReportPage | None:
    row = (await session.execute(select(Report, Building.name).join(Building, Building.id == Report.building_id)
                                 .where(Report.id == number))).first()
    if row is None:
        return None
    report, name = row
    people = await members_by_id(session, {i for i in (report.reporter_id, report.assignee_id) if i})
    line = ReportLine(report, name, people.get(report.reporter_id), people.get(report.assignee_id or 0))
    return ReportPage(line, await photos_of(session, number), await history(session, number))


async def is_report_photo(session: AsyncSession, name: str) -> bool:
    return await session.scalar(select(ReportPhoto.id).where(ReportPhoto.path == name).limit(1)) is not None
