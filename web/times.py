"""Times and people as operators read them: times in the helpdesk's zone (IST) with the zone named, ages,
business time to a target; the user as "the user", not their channel id."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tickets.calendar import BusinessCalendar


def local(at: datetime | str | None, zone: str) -> str:
    """'2 Dec 2026, 11:05 IST' for an aware time or an ISO string; '' for none."""
    if at is None or at == "":
        return ""
    instant = datetime.fromisoformat(at) if isinstance(at, str) else at
    shown = instant.astimezone(ZoneInfo(zone))
    return f"{shown.day} {shown:%b %Y, %H:%M} {shown.tzname()}"


def ago(at: datetime | None, now: datetime) -> str:
    """'just now', '12 min ago', '3 h ago', '2 d ago'."""
    if at is None:
        return ""
    minutes = int((now - at).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // (24 * 60)} d ago"


def _business(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} business min"
    hours = minutes // 60
    return f"{hours} business hour{'' if hours == 1 else 's'}"


def due_in(due: datetime, now: datetime, calendar: BusinessCalendar) -> str:
    """'due in 2 business hours', or 'overdue by 40 business min' (SLA targets count business time only)."""
    if due >= now:
        return f"due in {_business(calendar.business_time_between(now, due))}"
    return f"overdue by {_business(calendar.business_time_between(due, now))}"


def person(actor: str) -> str:
    """An actor as operators read it: 'the user' for the ticket's user (stored as user:<channel id>)."""
    return "the user" if actor.startswith("user:") else actor
