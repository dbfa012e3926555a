"""Dashboard figures for a period: tickets filed in it (by their current status, ULB, category, priority),
deflections, SLA compliance, first-response time and CSAT. Aggregates run in the database, on SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from core.db import utcnow
from core.errors import InvalidInput
from tickets.models import DeflectionRow, TicketRow
from tickets.problem_stats import ProblemFigures, problem_figures

UNKNOWN = "unknown"  # the key for tickets without a ULB


@dataclass(frozen=True)
class Period:
    """Whole local days, `start` to `end` inclusive, in the helpdesk's zone."""

    start: date
    end: date
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput(f"to: {self.end} is before from: {self.start}")

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(), self.zone)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(), self.zone)


@dataclass(frozen=True)
class Dashboard:
    period: Period
    tickets_filed: int
    by_status: dict[str, int]
    by_ulb: dict[str, int]
    by_category: dict[str, int]
    by_priority: dict[str, int]
    deflections: int
    deflection_rate: float | None  # deflections / (deflections + tickets filed)
    sla_measured: int  # tickets with a response target that were answered or are already overdue
    sla_met: int
    sla_compliance: float | None
    median_first_response_wall_clock_hours: float | None
    csat_ratings: int
    csat_average: float | None
    problems: ProblemFigures


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def _in(period: Period) -> ColumnElement[bool]:
    return (TicketRow.created_at >= period.since) & (TicketRow.created_at < period.until)


async def _counts_by(session: AsyncSession, period: Period, column: InstrumentedAttribute[Any]) -> dict[str, int]:
    query = select(column, func.count()).where(_in(period)).group_by(column).order_by(column)
    return {UNKNOWN if key is None else str(key): int(n) for key, n in (await session.execute(query)).all()}


def _response_seconds(dialect: str) -> ColumnElement[Any]:
    """Seconds from filing to first response, in the dialect's own date arithmetic."""
    if dialect == "sqlite":
        days = func.julianday(TicketRow.first_response_at) - func.julianday(TicketRow.created_at)
        return days * 86400.0
    return func.extract("epoch", TicketRow.first_response_at - TicketRow.created_at)


async def _median_response_hours(session: AsyncSession, period: Period, responded: int) -> float | None:
    """The median, fetched as the one or two middle rows of the ordered durations."""
    if responded == 0:
        return None
    seconds = _response_seconds(session.get_bind().dialect.name)
    query = (select(seconds).where(_in(period), TicketRow.first_response_at.is_not(None))
             .order_by(seconds).offset((responded - 1) // 2).limit(2 - responded % 2))
    middle = [float(v) for v in await session.scalars(query)]
    return round(sum(middle) / len(middle) / 3600, 2)


async def _sla_and_csat(
    session: AsyncSession, period: Period, now: datetime
) -> tuple[int, int, int, int, float | None]:
    """(measured, met, responded, ratings, rating average) in one pass over the period's tickets."""
    due, first = TicketRow.response_due_at, TicketRow.first_response_at
    measured = (due.is_not(None) & (first.is_not(None) | (due < now)))
    met = due.is_not(None) & first.is_not(None) & (first <= due)
    query = select(
        func.sum(case((measured, 1), else_=0)), func.sum(case((met, 1), else_=0)),
        func.count(first), func.count(TicketRow.csat_rating), func.avg(TicketRow.csat_rating),
    ).where(_in(period))
    row = (await session.execute(query)).one()
    average = None if row[4] is None else round(float(row[4]), 2)
    return int(row[0] or 0), int(row[1] or 0), int(row[2]), int(row[3]), average


async def dashboard(session: AsyncSession, period: Period, now: datetime | None = None) -> Dashboard:
    """The figures for tickets filed and problems deflected in `period`."""
    by_status = await _counts_by(session, period, TicketRow.status)
    filed = sum(by_status.values())
    deflected = int(await session.scalar(
        select(func.count()).select_from(DeflectionRow)
        .where(DeflectionRow.created_at >= period.since, DeflectionRow.created_at < period.until)) or 0)
    measured, met, responded, ratings, csat = await _sla_and_csat(session, period, now or utcnow())
    return Dashboard(
        period=period, tickets_filed=filed, by_status=by_status,
        by_ulb=await _counts_by(session, period, TicketRow.ulb),
        by_category=await _counts_by(session, period, TicketRow.category),
        by_priority=await _counts_by(session, period, TicketRow.priority),
        deflections=deflected, deflection_rate=_share(deflected, deflected + filed),
        sla_measured=measured, sla_met=met, sla_compliance=_share(met, measured),
        median_first_response_wall_clock_hours=await _median_response_hours(session, period, responded),
        csat_ratings=ratings, csat_average=csat,
        problems=await problem_figures(session, period.since, period.until),
    )
