"""The business calendar: opening hours, weekends, Odisha's public holidays and configured extra dates."""

from __future__ import annotations

import time as stopwatch
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.settings import Settings
from tickets.calendar import BusinessCalendar

IST = ZoneInfo("Asia/Kolkata")
H = timedelta(hours=1)
CALENDAR = BusinessCalendar()


def ist(text: str) -> datetime:
    """'2026-11-20 17:00' as an IST instant."""
    return datetime.fromisoformat(text).replace(tzinfo=IST)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 20), True),  # Friday
        (date(2026, 11, 21), False),  # Saturday
        (date(2026, 11, 22), False),  # Sunday
        (date(2026, 11, 24), False),  # Guru Nanak's Birthday
        (date(2026, 11, 25), True),  # Wednesday
        (date(2027, 1, 26), False),  # Republic Day, a Tuesday: next year's holidays are built on demand
    ],
)
def test_business_days_are_weekdays_that_are_not_holidays(day: date, expected: bool) -> None:
    assert CALENDAR.is_business_day(day) is expected


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (ist("2026-11-20 17:00"), 4, ist("2026-11-23 12:00")),  # 1h Friday + 3h Monday
        (ist("2026-11-20 17:00"), 18, ist("2026-11-25 17:00")),  # 1h Fri + 9h Mon + 8h Wed (Tue a holiday)
        (ist("2026-11-23 07:00"), 1, ist("2026-11-23 10:00")),  # before hours: counts from 09:00
        (ist("2026-11-25 20:00"), 1, ist("2026-11-26 10:00")),  # after hours: next business day's 09:00
        (ist("2026-11-21 10:00"), 1, ist("2026-11-23 10:00")),  # Saturday: Monday
        (ist("2026-11-23 17:00"), 2, ist("2026-11-25 10:00")),  # the holiday is skipped
        (ist("2026-11-23 09:00"), 9, ist("2026-11-23 18:00")),  # exactly at close: due at 18:00 that day
        (ist("2026-11-23 17:00"), 1, ist("2026-11-23 18:00")),
        (ist("2026-11-23 18:00"), 1, ist("2026-11-25 10:00")),  # a start at closing time is after hours
        (ist("2026-11-25 20:00"), 0, ist("2026-11-26 09:00")),  # nothing to add still waits for opening
        (datetime.fromisoformat("2026-11-20T11:30:00+00:00"), 4, ist("2026-11-23 12:00")),  # UTC 11:30 = 17:00
        (ist("2026-11-02 09:00"), 90, ist("2026-11-13 18:00")),  # two full weeks
        (ist("2026-11-02 09:00"), 180, ist("2026-11-30 18:00")),  # four weeks, one holiday
    ],
)
def test_adding_business_time(start: datetime, hours: int, expected: datetime) -> None:
    due = CALENDAR.add_business_time(start, hours * H)
    assert due == expected
    assert due.tzinfo == IST


def test_an_extra_configured_holiday_is_skipped() -> None:
    calendar = BusinessCalendar(extra_holidays=[date(2026, 11, 23)])
    assert not calendar.is_business_day(date(2026, 11, 23))
    assert calendar.add_business_time(ist("2026-11-20 17:00"), 4 * H) == ist("2026-11-25 12:00")


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (ist("2026-11-20 17:00"), ist("2026-11-23 12:00"), 4 * H),
        (ist("2026-11-20 17:00"), ist("2026-11-25 17:00"), 18 * H),
        (ist("2026-11-25 10:00"), ist("2026-11-25 11:30"), 1.5 * H),
        (ist("2026-11-21 08:00"), ist("2026-11-22 20:00"), timedelta(0)),  # a weekend
        (ist("2026-11-24 09:00"), ist("2026-11-24 18:00"), timedelta(0)),  # a holiday
        (ist("2026-11-25 19:00"), ist("2026-11-26 08:00"), timedelta(0)),  # overnight
        (ist("2026-11-25 12:00"), ist("2026-11-25 10:00"), timedelta(0)),  # backwards
        (datetime.fromisoformat("2026-11-20T11:30:00Z"), datetime.fromisoformat("2026-11-23T06:30:00Z"), 4 * H),
        (ist("2026-11-02 09:00"), ist("2026-11-30 18:00"), 180 * H),
    ],
)
def test_business_time_between_two_instants(a: datetime, b: datetime, expected: timedelta) -> None:
    assert CALENDAR.business_time_between(a, b) == expected


@pytest.mark.parametrize("hours", [0.5, 4, 9, 18, 27, 45, 90, 900])
def test_business_time_between_undoes_adding_it(hours: float) -> None:
    start = ist("2026-11-20 11:15")
    assert CALENDAR.business_time_between(start, CALENDAR.add_business_time(start, hours * H)) == hours * H


def test_long_spans_are_fast() -> None:
    began = stopwatch.perf_counter()
    start = ist("2026-01-01 09:00")
    due = CALENDAR.add_business_time(start, 9 * 250 * 8 * H)  # about eight years
    assert CALENDAR.business_time_between(start, due) == 9 * 250 * 8 * H
    assert stopwatch.perf_counter() - began < 2.0


def test_a_year_beyond_the_holidays_package_still_works_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    calendar = BusinessCalendar()
    assert not calendar.is_business_day(date(2040, 1, 26))  # Republic Day is a fixed date
    assert "may be incomplete" in caplog.text


def test_calendar_follows_the_settings() -> None:
    settings = Settings(
        business_start=time(10, 0),
        business_end=time(17, 0),
        timezone="UTC",
        extra_holidays=[date(2026, 11, 25)],
    )
    calendar = BusinessCalendar.from_settings(settings)
    due = calendar.add_business_time(datetime.fromisoformat("2026-11-23T16:00:00+00:00"), 2 * H)
    assert due == datetime.fromisoformat("2026-11-26T11:00:00+00:00")  # Tue a holiday, Wed an extra one


def test_settings_read_extra_holidays_and_hours_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_EXTRA_HOLIDAYS", '["2026-11-23"]')
    monkeypatch.setenv("HELPDESK_BUSINESS_START", "10:00")
    settings = Settings()
    assert settings.extra_holidays == [date(2026, 11, 23)]
    assert settings.business_start == time(10, 0)


def test_naive_datetimes_and_negative_durations_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        CALENDAR.add_business_time(datetime(2026, 11, 20, 17, 0), H)
    with pytest.raises(ValueError, match="negative"):
        CALENDAR.add_business_time(ist("2026-11-20 17:00"), -H)


def test_hours_must_open_before_they_close() -> None:
    with pytest.raises(ValueError, match="open before"):
        BusinessCalendar(opens=time(18, 0), closes=time(9, 0))
