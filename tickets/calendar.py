"""The business calendar SLA clocks run on: opening hours, weekends and public holidays.

A business day is Monday-Friday from `business_start` to `business_end` (09:00-18:00 by default) in the
configured zone (Asia/Kolkata), unless it is a public holiday of the `holidays` package for the
configured country and subdivision (India, Odisha) or one of the extra dates from configuration.
Business time only runs inside the interval [opening, closing) of a business day.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from core.settings import Settings

log = logging.getLogger(__name__)

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5


class BusinessCalendar:
    """Opening hours and holidays in one zone; holiday sets are built per year on first use."""

    def __init__(
        self,
        *,
        opens: time = time(9, 0),
        closes: time = time(18, 0),
        zone: ZoneInfo | None = None,
        extra_holidays: Iterable[date] = (),
        country: str = "IN",
        subdiv: str | None = "OD",
    ) -> None:
        if opens >= closes:
            raise ValueError(f"business hours must open before they close, got {opens}-{closes}")
        self._opens = opens
        self._closes = closes
        self._zone = zone or ZoneInfo("Asia/Kolkata")
        self._extra = frozenset(extra_holidays)
        self._country = country
        self._subdiv = subdiv
        self._by_year: dict[int, frozenset[date]] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> BusinessCalendar:
        """The calendar the settings describe (hours, zone, extra holidays; India/Odisha holidays)."""
        return cls(
            opens=settings.business_start,
            closes=settings.business_end,
            zone=ZoneInfo(settings.timezone),
            extra_holidays=settings.extra_holidays,
        )

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    def holidays_in(self, year: int) -> frozenset[date]:
        """Every holiday in `year`: the country's public holidays plus the configured extra dates."""
        cached = self._by_year.get(year)
        if cached is None:
            with warnings.catch_warnings(record=True) as caught:  # years the package does not cover
                warnings.simplefilter("always")
                public = holidays.country_holidays(self._country, subdiv=self._subdiv, years=year)
            for warning in caught:
                log.warning("holidays for %s in %d may be incomplete: %s", self._country, year, warning.message)
            cached = frozenset(public) | {d for d in self._extra if d.year == year}
            self._by_year[year] = cached
        return cached

    def is_business_day(self, day: date) -> bool:
        """True for a weekday that is not a holiday."""
        return day.weekday() < _SATURDAY and day not in self.holidays_in(day.year)

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The instant `duration` of business time after `start`, in the calendar's zone.

        A start outside business hours counts from the next opening. A duration that runs out exactly at
        closing time ends at closing time that day, not at the next opening.
        """
        if duration < timedelta(0):
            raise ValueError(f"duration must not be negative, got {duration}")
        remaining = duration
        cursor = _utc(start)
        for opening, closing in self._windows_from(cursor):
            begin = max(cursor, opening)
            if begin >= closing:
                continue
            available = closing - begin
            if remaining <= available:
                return (begin + remaining).astimezone(self._zone)
            remaining -= available
        raise AssertionError("unreachable: business windows never run out")  # pragma: no cover

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Business time elapsed from `a` to `b`; zero when `b` is not after `a`."""
        start, end = _utc(a), _utc(b)
        total = timedelta(0)
        if end <= start:
            return total
        for opening, closing in self._windows_from(start):
            if opening >= end:
                break
            overlap = min(closing, end) - max(opening, start)
            if overlap > timedelta(0):
                total += overlap
        return total

    def _windows_from(self, instant: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Business-hour windows (UTC) of business days, from the local day of `instant` on, endlessly."""
        day = instant.astimezone(self._zone).date()
        while True:
            if self.is_business_day(day):
                yield self._at(day, self._opens), self._at(day, self._closes)
            day += _ONE_DAY

    def _at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self._zone).astimezone(UTC)


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"an aware datetime is needed (with a zone or offset), got {instant.isoformat()}")
    return instant.astimezone(UTC)
