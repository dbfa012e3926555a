"""The programme's weekly report as JSON: every ticket filed in a period, and the same summed up by ULB,
category, priority and tier (the console has both as CSV)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import Caller, Context, ReadSession
from api.validation import Day
from core.db import utcnow
from tickets.weekly_report import ReportGroup, ReportTicket, report_period, summary, ticket_report

router = APIRouter(prefix="/api/reports", tags=["dashboard"])


class ReportTicketPublic(BaseModel):
    number: str
    filed_at: str = Field(description="ISO 8601 in the helpdesk's time zone")
    ulb: str
    category: str
    priority: str
    tier: str = Field(description="the tier team it is escalated to, else the team it was routed to")
    status: str
    sla: str = Field(description="the response target: met, missed, pending or no target")
    first_response_minutes: int | None = Field(description="wall-clock minutes from filing to the first reply")
    resolution_minutes: int | None = Field(description="wall-clock minutes from filing to resolution")


class ReportGroupPublic(BaseModel):
    ulb: str
    category: str
    priority: str
    tier: str
    tickets: int
    sla_met: int
    sla_missed: int
    median_first_response_minutes: float | None
    median_resolution_minutes: float | None


class ReportPublic(BaseModel):
    start: date = Field(serialization_alias="from")
    end: date = Field(serialization_alias="to")
    timezone: str
    tickets: list[ReportTicketPublic]
    summary: list[ReportGroupPublic]


@router.get("/tickets", response_model_by_alias=True)
async def tickets(
    ctx: Context, s: ReadSession, who: Caller,
    start: Annotated[Day | None, Query(alias="from", description="first day, YYYY-MM-DD (local time)")] = None,
    end: Annotated[Day | None, Query(alias="to", description="last day, YYYY-MM-DD (inclusive)")] = None,
) -> ReportPublic:
    """Tickets filed from `from` to `to` (default: the last 7 days) and their summary for weekly reports."""
    zone = ZoneInfo(ctx.settings.timezone)
    period = report_period(start, end, zone, utcnow())
    found = await ticket_report(s, period, utcnow())
    return ReportPublic(start=period.start, end=period.end, timezone=ctx.settings.timezone,
                        tickets=[_public(ReportTicketPublic, t) for t in found],
                        summary=[_public(ReportGroupPublic, g) for g in summary(found)])


Public = TypeVar("Public", ReportTicketPublic, ReportGroupPublic)


def _public(kind: type[Public], value: ReportTicket | ReportGroup) -> Public:
    return kind.model_validate(value, from_attributes=True)
