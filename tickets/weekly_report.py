"""The programme's weekly report: every ticket filed in a period with its ULB, category, priority, tier, SLA
outcome and times, and the same summed up by ULB, category, priority and tier (CSV in the console, JSON in
the API). Times are wall-clock minutes from filing, as the dashboard's median first response is."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from statistics import median
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput
from tickets.models import TicketRow
from tickets.stats import UNKNOWN, Period

SLA_OUTCOMES = ("met", "missed", "pending", "no target")
DEFAULT_DAYS = 7  # a week, for the weekly report
MAX_DAYS = 366


@dataclass(frozen=True)
class ReportTicket:
    number: str
    filed_at: str  # ISO 8601 in the period's zone
    ulb: str
    category: str
    priority: str
    tier: str  # the team working it: the tier team it is escalated to, else the team it was routed to
    status: str
    sla: str  # the response target: met, missed, pending (not answered yet, not due yet) or no target
    first_response_minutes: int | None
    resolution_minutes: int | None


@dataclass(frozen=True)
class ReportGroup:
    ulb: str
    category: str
    priority: str
    tier: str
    tickets: int
    sla_met: int
    sla_missed: int
    median_first_response_minutes: float | None
    median_resolution_minutes: float | None


TICKET_COLUMNS = tuple(f.name for f in fields(ReportTicket))
GROUP_COLUMNS = tuple(f.name for f in fields(ReportGroup))


def report_period(start: date | None, end: date | None, zone: ZoneInfo, now: datetime) -> Period:
    """The period asked for; by default the 7 days to today. At most a year."""
    end = end or now.astimezone(zone).date()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput(f"from: the range may span at most {MAX_DAYS} days")
    return Period(start, end, zone)


def _minutes(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else max(0, round((end - start).total_seconds() / 60))


def sla_outcome(first_response: datetime | None, due: datetime | None, now: datetime) -> str:
    if due is None:
        return "no target"
    if first_response is not None:
        return "met" if first_response <= due else "missed"
    return "missed" if due < now else "pending"


async def ticket_report(session: AsyncSession, period: Period, now: datetime) -> list[ReportTicket]:
    """Every ticket filed in the period, oldest first."""
    query = (select(TicketRow.number, TicketRow.created_at, TicketRow.ulb, TicketRow.category, TicketRow.priority,
                    TicketRow.escalated_to, TicketRow.team, TicketRow.status, TicketRow.first_response_at,
                    TicketRow.response_due_at, TicketRow.resolved_at)
             .where(TicketRow.created_at >= period.since, TicketRow.created_at < period.until)
             .order_by(TicketRow.id))
    return [ReportTicket(str(r.number), r.created_at.astimezone(period.zone).isoformat(timespec="minutes"),
                         r.ulb or UNKNOWN, r.category, r.priority, r.escalated_to or r.team, r.status,
                         sla_outcome(r.first_response_at, r.response_due_at, now),
                         _minutes(r.created_at, r.first_response_at), _minutes(r.created_at, r.resolved_at))
            for r in await session.execute(query)]


def summary(tickets: list[ReportTicket]) -> list[ReportGroup]:
    """The tickets counted by ULB, category, priority and tier, with SLA outcomes and median times."""
    groups: dict[tuple[str, str, str, str], list[ReportTicket]] = defaultdict(list)
    for t in tickets:
        groups[(t.ulb, t.category, t.priority, t.tier)].append(t)

    def middle(values: list[int | None]) -> float | None:
        known = [v for v in values if v is not None]
        return float(median(known)) if known else None

    return [ReportGroup(*key, len(members), sum(t.sla == "met" for t in members),
                        sum(t.sla == "missed" for t in members),
                        middle([t.first_response_minutes for t in members]),
                        middle([t.resolution_minutes for t in members]))
            for key, members in sorted(groups.items())]
