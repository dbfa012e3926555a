"""The dashboard: the period's figures and charts, rendered on the server."""

# No `from __future__ import annotations`: FastAPI must see the annotations of routes as objects.
from datetime import date, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.validation import Day
from core.db import utcnow
from core.errors import InvalidInput
from tickets.models import TicketRow
from tickets.stats import Period, dashboard
from web.charts import horizontal, vertical
from web.context import Web
from web.render import page
from web.session import SignedIn

router = APIRouter(prefix="/console", include_in_schema=False)
DEFAULT_DAYS = 14
MAX_DAYS = 366


async def _per_day(s: AsyncSession, period: Period) -> dict[str, int]:
    """Tickets filed on each local day of the period (days with none included, as zero)."""
    query = select(TicketRow.created_at).where(TicketRow.created_at >= period.since,
                                               TicketRow.created_at < period.until)
    days = {(period.start + timedelta(n)).isoformat(): 0 for n in range((period.end - period.start).days + 1)}
    for created in await s.scalars(query):
        day = created.astimezone(period.zone).date().isoformat()
        days[day] = days.get(day, 0) + 1
    return days


async def _by_module(s: AsyncSession, period: Period) -> dict[str, int]:
    query = (select(TicketRow.module, func.count()).where(TicketRow.created_at >= period.since,
                                                          TicketRow.created_at < period.until)
             .group_by(TicketRow.module).order_by(func.count().desc()))
    return {str(m): int(n) for m, n in (await s.execute(query)).all()}


def _period(start: date | None, end: date | None, zone: ZoneInfo) -> Period:
    end = end or utcnow().astimezone(zone).date()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput(f"from: the range may span at most {MAX_DAYS} days")
    return Period(start, end, zone)


@router.get("/dashboard")
async def show(web: Web, request: Request, signed: SignedIn,
               start: Annotated[Day | None, Query(alias="from")] = None,
               end: Annotated[Day | None, Query(alias="to")] = None) -> HTMLResponse:
    """Tickets per day, deflection, SLA compliance, first response, and breakdowns, over a date range."""
    zone = ZoneInfo(web.api.settings.timezone)
    problem: str | None = None
    try:
        period = _period(start, end, zone)
    except InvalidInput as err:
        period, problem = _period(None, None, zone), str(err)
    async with web.api.readers()() as s, s.begin():
        figures = await dashboard(s, period)
        per_day, by_module = await _per_day(s, period), await _by_module(s, period)
    charts = [
        vertical("Tickets filed per day", {d[5:]: n for d, n in per_day.items()}),
        horizontal("By ULB", figures.by_ulb), horizontal("By module", by_module),
        horizontal("By category", figures.by_category), horizontal("By priority", figures.by_priority),
    ]
    return page(web, request, "dashboard.html", signed=signed, d=figures, charts=charts, problem=problem)
