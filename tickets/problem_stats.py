"""Dashboard figures for known problems: how many, how many tickets each gathered, and how long from the
first user's report to the fix."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from statistics import median

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tickets.models import TicketRow
from tickets.problem_models import ProblemLinkRow, ProblemRow


@dataclass(frozen=True)
class ProblemLine:
    id: int
    title: str
    status: str
    linked_tickets: int


@dataclass(frozen=True)
class ProblemFigures:
    opened: int  # problems created in the period
    by_status: dict[str, int]  # of those, by their current status
    fixed: int  # problems fixed in the period
    median_hours_first_report_to_fix: float | None  # over those fixed in the period
    problems: tuple[ProblemLine, ...]  # every problem opened or fixed in the period, newest first


async def problem_figures(session: AsyncSession, since: datetime, until: datetime) -> ProblemFigures:
    """Problems opened or fixed in [since, until), with their linked tickets counted in the database."""
    linked = func.count(ProblemLinkRow.id)
    first = func.min(TicketRow.created_at)
    opened_in = (ProblemRow.created_at >= since) & (ProblemRow.created_at < until)
    fixed_in = (ProblemRow.fixed_at >= since) & (ProblemRow.fixed_at < until)
    query = (
        select(ProblemRow, linked, first)
        .outerjoin(ProblemLinkRow, ProblemLinkRow.problem_id == ProblemRow.id)
        .outerjoin(TicketRow, TicketRow.id == ProblemLinkRow.ticket_id)
        .where(or_(opened_in, fixed_in)).group_by(ProblemRow.id).order_by(ProblemRow.id.desc())
    )
    rows = (await session.execute(query)).all()
    opened = [p for p, _, _ in rows if since <= p.created_at < until]
    by_status: dict[str, int] = {}
    for problem in opened:
        by_status[problem.status] = by_status.get(problem.status, 0) + 1
    hours = [(p.fixed_at - (reported or p.created_at)).total_seconds() / 3600 for p, _, reported in rows
             if p.fixed_at is not None and since <= p.fixed_at < until]
    return ProblemFigures(
        opened=len(opened), by_status=by_status, fixed=len(hours),
        median_hours_first_report_to_fix=round(median(hours), 2) if hours else None,
        problems=tuple(ProblemLine(p.id, p.title, p.status, int(n)) for p, n, _ in rows),
    )
