"""SLA targets and clocks: when a ticket is due, and how much of its time is used, on business time.

Targets are business hours per priority, from configuration. First response (the programme's process):
P1 4 hours, P2 1 business day (9 hours), P3 and P4 2 business days (18 hours). Resolution, our defaults:
P1 1 business day (9 hours), P2 3 days (27 hours), P3 5 days (45 hours), P4 10 days (90 hours).

While a ticket waits on the user its clock is paused: business time inside a pause does not count.
A pause is `(began, ended)`; an open pause (`ended` is None) lasts until `now`. Everything here is a pure
function of its arguments; the ticket store calls it with the ticket's times.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from core.settings import Settings
from tickets.calendar import BusinessCalendar

Kind = Literal["response", "resolution"]
Status = Literal["on_time", "at_risk", "breached"]
Pause = tuple[datetime, datetime | None]
KINDS: tuple[Kind, ...] = ("response", "resolution")
DueFunction = Callable[[str, datetime, str, list[tuple[datetime, datetime | None]]], datetime]
"""(priority, start, kind, pauses) -> due time; supplied by the SLA policy (tickets.desk.sla_due)."""


@dataclass(frozen=True)
class SlaPolicy:
    """The calendar and the targets (business hours per priority) the SLA clocks run on."""

    calendar: BusinessCalendar
    response_hours: Mapping[str, int] = field(default_factory=dict)
    resolution_hours: Mapping[str, int] = field(default_factory=dict)
    at_risk_fraction: float = 0.75

    @classmethod
    def from_settings(cls, settings: Settings, calendar: BusinessCalendar | None = None) -> SlaPolicy:
        """The policy the settings describe; pass `calendar` to share one (its holiday cache)."""
        return cls(
            calendar=calendar or BusinessCalendar.from_settings(settings),
            response_hours=dict(settings.response_hours),
            resolution_hours=dict(settings.resolution_hours),
            at_risk_fraction=settings.at_risk_fraction,
        )

    def target(self, priority: str, kind: Kind = "response") -> timedelta:
        """The business time allowed for `priority`; ValueError names the known ones."""
        if kind not in KINDS:
            raise ValueError(f"unknown SLA kind {kind!r}; known: {', '.join(KINDS)}")
        hours = self.response_hours if kind == "response" else self.resolution_hours
        if priority not in hours:
            raise ValueError(f"unknown priority {priority!r}; known: {', '.join(sorted(hours))}")
        return timedelta(hours=hours[priority])


@dataclass(frozen=True)
class SlaReading:
    """An SLA clock read at one instant."""

    due: datetime
    target: timedelta
    elapsed: timedelta
    fraction: float
    status: Status


def due_time(
    policy: SlaPolicy,
    priority: str,
    start: datetime,
    kind: Kind = "response",
    paused: Sequence[Pause] = (),
    *,
    now: datetime | None = None,
) -> datetime:
    """When the `kind` target for `priority` falls due, counted from `start` with `paused` left out.

    An open pause is taken to end at `now` (the due time if the clock restarted then); without `now`
    an open pause is a ValueError.
    """
    remaining = policy.target(priority, kind)
    calendar = policy.calendar
    cursor = start
    for began, ended in _merged(start, paused, now):
        available = calendar.business_time_between(cursor, began)
        if remaining <= available:
            break
        remaining -= available
        cursor = max(cursor, ended)
    return calendar.add_business_time(cursor, remaining)


def paused_time(calendar: BusinessCalendar, start: datetime, now: datetime, paused: Sequence[Pause]) -> timedelta:
    """Business time between `start` and `now` spent inside pauses (an open one up to `now`)."""
    total = timedelta(0)
    for began, ended in _merged(start, paused, now):
        total += calendar.business_time_between(began, min(ended, now))
    return total


@dataclass(frozen=True)
class SlaClock:
    """One ticket's clock for one target: read it `at(now)` for due time, time used and status."""

    policy: SlaPolicy
    priority: str
    started: datetime
    kind: Kind = "response"
    paused: Sequence[Pause] = ()

    def at(self, now: datetime) -> SlaReading:
        """The clock at `now`: on time, at risk (at least the at-risk fraction used) or breached."""
        target = self.policy.target(self.priority, self.kind)
        due = due_time(self.policy, self.priority, self.started, self.kind, self.paused, now=now)
        calendar = self.policy.calendar
        elapsed = calendar.business_time_between(self.started, now)
        elapsed -= paused_time(calendar, self.started, now, self.paused)
        fraction = elapsed / target if target else 1.0
        return SlaReading(due, target, elapsed, fraction, _status(now, due, fraction, self.policy.at_risk_fraction))


def _status(now: datetime, due: datetime, fraction: float, at_risk_fraction: float) -> Status:
    if now > due:
        return "breached"
    return "at_risk" if fraction >= at_risk_fraction else "on_time"


def _merged(start: datetime, paused: Sequence[Pause], now: datetime | None) -> list[tuple[datetime, datetime]]:
    """Pauses closed (open ones at `now`), clipped to after `start`, sorted, overlaps merged."""
    closed: list[tuple[datetime, datetime]] = []
    for began, ended in paused:
        if ended is None:
            if now is None:
                raise ValueError("an open pause needs `now` to say how long it has lasted")
            ended = max(now, began)
        elif ended < began:
            raise ValueError(f"a pause cannot end ({ended.isoformat()}) before it began ({began.isoformat()})")
        if ended > start:
            closed.append((max(began, start), ended))
    merged: list[tuple[datetime, datetime]] = []
    for began, ended in sorted(closed):
        if merged and began <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], ended))
        else:
            merged.append((began, ended))
    return merged
