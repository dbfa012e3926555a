"""Times as operators read them: in the helpdesk's zone (IST), with the zone named."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def local(at: datetime | str | None, zone: str) -> str:
    """'2 Dec 2026, 11:05 IST' for an aware time or an ISO string; '' for none."""
    if at is None or at == "":
        return ""
    instant = datetime.fromisoformat(at) if isinstance(at, str) else at
    shown = instant.astimezone(ZoneInfo(zone))
    return f"{shown.day} {shown:%b %Y, %H:%M} {shown.tzname()}"
