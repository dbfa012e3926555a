"""The dashboard: volumes, deflection, SLA compliance, response time and satisfaction for a period."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import Caller, Context, ReadSession
from api.privacy import for_viewer
from api.validation import Day
from tickets.stats import Period, dashboard

router = APIRouter(prefix="/api/dashboard", tags=["dashboard"])
DEFAULT_DAYS = 30


class ProblemLinePublic(BaseModel):
    id: int
    title: str
    status: str
    linked_tickets: int


class ProblemFiguresPublic(BaseModel):
    opened: int = Field(description="known problems created in the period")
    by_status: dict[str, int]
    fixed: int = Field(description="problems fixed in the period")
    median_hours_first_report_to_fix: float | None = Field(
        description="calendar hours from the first linked ticket's filing to the fix, over problems fixed")
    problems: list[ProblemLinePublic] = Field(description="problems opened or fixed in the period")


class DashboardPublic(BaseModel):
    start: date = Field(serialization_alias="from")
    end: date = Field(serialization_alias="to")
    timezone: str
    tickets_filed: int
    by_status: dict[str, int]
    by_ulb: dict[str, int]
    by_category: dict[str, int]
    by_priority: dict[str, int]
    deflections: int
    deflection_rate: float | None = Field(description="deflections / (deflections + tickets filed)")
    sla_measured: int = Field(description="tickets with a response target that were answered or are overdue")
    sla_met: int = Field(description="of those, answered by their response target")
    sla_compliance: float | None = Field(description="sla_met / sla_measured")
    median_first_response_wall_clock_hours: float | None = Field(
        description="calendar hours from filing to the first reply, not business hours")
    csat_ratings: int
    csat_average: float | None
    problems: ProblemFiguresPublic


@router.get("", response_model_by_alias=True)
async def show(
    ctx: Context, s: ReadSession, who: Caller,
    start: Annotated[Day | None, Query(alias="from", description="first day, YYYY-MM-DD (local time)")] = None,
    end: Annotated[Day | None, Query(alias="to", description="last day, YYYY-MM-DD (inclusive)")] = None,
) -> DashboardPublic:
    """Figures for tickets filed and problems deflected from `from` to `to` (default: the last 30 days)."""
    zone = ZoneInfo(ctx.settings.timezone)
    now = ctx.clock()
    end = end or now.astimezone(zone).date()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    stats = await dashboard(s, Period(start, end, zone), now)
    return for_viewer(who, DashboardPublic(
        start=start, end=end, timezone=ctx.settings.timezone, tickets_filed=stats.tickets_filed,
        by_status=stats.by_status, by_ulb=stats.by_ulb, by_category=stats.by_category,
        by_priority=stats.by_priority, deflections=stats.deflections, deflection_rate=stats.deflection_rate,
        sla_measured=stats.sla_measured, sla_met=stats.sla_met, sla_compliance=stats.sla_compliance,
        median_first_response_wall_clock_hours=stats.median_first_response_wall_clock_hours,
        csat_ratings=stats.csat_ratings, csat_average=stats.csat_average,
        problems=ProblemFiguresPublic.model_validate(stats.problems, from_attributes=True),
    ))
