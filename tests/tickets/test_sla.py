"""SLA due times and clocks on business time, with waiting-on-user pauses left out."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from app.cli import cli
from core.settings import Settings
from tickets.calendar import BusinessCalendar
from tickets.sla import Kind, Pause, SlaClock, SlaPolicy, Status, due_time

IST = ZoneInfo("Asia/Kolkata")
H = timedelta(hours=1)
POLICY = SlaPolicy.from_settings(Settings(), BusinessCalendar())
FRIDAY_5PM = "2026-11-20 17:00"


def ist(text: str) -> datetime:
    """'2026-11-20 17:00' as an IST instant."""
    return datetime.fromisoformat(text).replace(tzinfo=IST)


@pytest.mark.parametrize(
    ("priority", "kind", "expected"),
    [
        ("P1", "response", "2026-11-23 12:00"),  # 4h: 1h Friday + 3h Monday
        ("P2", "response", "2026-11-23 17:00"),  # 9h: 1h Friday + 8h Monday
        ("P3", "response", "2026-11-25 17:00"),  # 18h: 1h Fri + 9h Mon + 8h Wed (Tue Guru Nanak's Birthday)
        ("P4", "response", "2026-11-25 17:00"),
        ("P1", "resolution", "2026-11-23 17:00"),  # 9h
        ("P2", "resolution", "2026-11-26 17:00"),  # 27h
        ("P3", "resolution", "2026-11-30 17:00"),  # 45h
        ("P4", "resolution", "2026-12-07 17:00"),  # 90h, over three weeks
    ],
)
def test_due_times_from_friday_afternoon(priority: str, kind: Kind, expected: str) -> None:
    assert due_time(POLICY, priority, ist(FRIDAY_5PM), kind) == ist(expected)


def test_unknown_priority_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown priority 'P9'; known: P1, P2, P3, P4"):
        due_time(POLICY, "P9", ist(FRIDAY_5PM))


def test_targets_come_from_the_settings() -> None:
    policy = SlaPolicy.from_settings(Settings(response_hours={"P1": 2}, resolution_hours={"P1": 1}))
    assert due_time(policy, "P1", ist(FRIDAY_5PM)) == ist("2026-11-23 10:00")
    assert due_time(policy, "P1", ist(FRIDAY_5PM), "resolution") == ist("2026-11-20 18:00")


OVERLAPPING: list[Pause] = [
    (ist("2026-11-25 11:00"), ist("2026-11-25 12:00")),
    (ist("2026-11-25 11:30"), ist("2026-11-25 12:30")),
]


@pytest.mark.parametrize(
    ("paused", "expected"),
    [
        ([], "2026-11-25 14:00"),
        ([(ist("2026-11-25 11:00"), ist("2026-11-25 12:00"))], "2026-11-25 15:00"),  # 1h inside hours
        ([(ist("2026-11-25 11:00"), ist("2026-11-25 11:30"))], "2026-11-25 14:30"),
        ([(ist("2026-11-25 12:00"), ist("2026-11-26 10:00"))], "2026-11-26 12:00"),  # 7h paused overnight
        (OVERLAPPING, "2026-11-25 15:30"),  # 11:00-12:30 counted once
        ([(ist("2026-11-25 07:00"), ist("2026-11-25 11:00"))], "2026-11-25 15:00"),  # begun before the ticket
        ([(ist("2026-11-25 15:00"), ist("2026-11-25 16:00"))], "2026-11-25 14:00"),  # after the due time
        ([(ist("2026-11-25 18:30"), ist("2026-11-26 08:30"))], "2026-11-25 14:00"),  # wholly outside hours
    ],
)
def test_a_pause_moves_the_due_time_by_the_business_time_paused(paused: list[Pause], expected: str) -> None:
    assert due_time(POLICY, "P1", ist("2026-11-25 10:00"), paused=paused) == ist(expected)


def test_a_pause_outside_business_hours_moves_nothing() -> None:
    start = ist(FRIDAY_5PM)
    weekend: list[Pause] = [(ist("2026-11-20 18:00"), ist("2026-11-23 09:00")), (ist("2026-11-24 08:00"), None)]
    now = ist("2026-11-25 09:00")  # the open pause has only covered a holiday and a night
    assert due_time(POLICY, "P3", start, paused=weekend, now=now) == due_time(POLICY, "P3", start)


def test_an_open_pause_lasts_until_now() -> None:
    clock = SlaClock(POLICY, "P1", ist("2026-11-25 10:00"), paused=[(ist("2026-11-25 11:00"), None)])
    reading = clock.at(ist("2026-11-25 13:00"))
    assert reading.elapsed == 1 * H
    assert reading.due == ist("2026-11-25 16:00")  # if the user answered now: 3h still to go
    assert reading.status == "on_time"


def test_an_open_pause_without_now_is_refused() -> None:
    with pytest.raises(ValueError, match="open pause"):
        due_time(POLICY, "P1", ist(FRIDAY_5PM), paused=[(ist("2026-11-23 10:00"), None)])


def test_a_pause_cannot_end_before_it_began() -> None:
    with pytest.raises(ValueError, match="before it began"):
        due_time(POLICY, "P1", ist(FRIDAY_5PM), paused=[(ist("2026-11-23 10:00"), ist("2026-11-23 09:30"))])


@pytest.mark.parametrize(
    ("now", "elapsed", "status"),
    [
        ("2026-11-25 10:00", 0.0, "on_time"),
        ("2026-11-25 12:00", 2.0, "on_time"),
        ("2026-11-25 12:59", 2 + 59 / 60, "on_time"),
        ("2026-11-25 13:00", 3.0, "at_risk"),  # 75% of 4h used
        ("2026-11-25 14:00", 4.0, "at_risk"),  # due now: not yet late
        ("2026-11-25 14:01", 4 + 1 / 60, "breached"),
        ("2026-11-26 09:00", 8.0, "breached"),
    ],
)
def test_clock_status_through_the_day(now: str, elapsed: float, status: Status) -> None:
    reading = SlaClock(POLICY, "P1", ist("2026-11-25 10:00")).at(ist(now))
    assert reading.due == ist("2026-11-25 14:00")
    assert reading.target == 4 * H
    assert reading.elapsed == elapsed * H
    assert reading.fraction == pytest.approx(elapsed / 4)
    assert reading.status == status


def test_a_response_due_at_friday_close_is_breached_over_the_weekend() -> None:
    reading = SlaClock(POLICY, "P1", ist("2026-11-20 14:00")).at(ist("2026-11-21 10:00"))
    assert (reading.due, reading.fraction, reading.status) == (ist("2026-11-20 18:00"), 1.0, "breached")


def test_waiting_on_the_user_keeps_a_clock_from_going_at_risk() -> None:
    paused: list[Pause] = [(ist("2026-11-25 11:00"), ist("2026-11-25 12:00"))]
    reading = SlaClock(POLICY, "P1", ist("2026-11-25 10:00"), paused=paused).at(ist("2026-11-25 13:00"))
    assert (reading.elapsed, reading.status) == (2 * H, "on_time")


def test_at_risk_fraction_comes_from_the_settings() -> None:
    policy = SlaPolicy.from_settings(Settings(at_risk_fraction=0.5), POLICY.calendar)
    assert SlaClock(policy, "P1", ist("2026-11-25 10:00")).at(ist("2026-11-25 12:00")).status == "at_risk"


@pytest.mark.parametrize(
    ("args", "printed"),
    [
        (["--priority", "P1", "--from", "2026-11-20T17:00:00+05:30"], "2026-11-23T12:00:00+05:30"),
        (["--priority", "P3", "--from", "2026-11-20T17:00:00+05:30"], "2026-11-25T17:00:00+05:30"),
        (["--priority", "P1", "--from", "2026-11-20T11:30:00Z"], "2026-11-23T12:00:00+05:30"),
        (["--priority", "P1", "--from", "2026-11-20T17:00"], "2026-11-23T12:00:00+05:30"),  # naive is IST
        (["--priority", "P4", "--from", "2026-11-20T17:00", "--kind", "resolution"], "2026-12-07T17:00:00+05:30"),
    ],
)
def test_cli_prints_the_due_time_in_ist(args: list[str], printed: str) -> None:
    result = CliRunner().invoke(cli, ["sla", "due", *args])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == printed


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--priority", "P9", "--from", "2026-11-20T17:00:00+05:30"], "'--priority'"),
        (["--priority", "P1", "--from", "next friday"], "'--from'"),
        (["--priority", "P1", "--from", "2026-11-20T17:00", "--kind", "later"], "'--kind'"),
    ],
)
def test_cli_rejects_bad_input_naming_the_parameter(args: list[str], named: str) -> None:
    result = CliRunner().invoke(cli, ["sla", "due", *args])
    assert result.exit_code == 2
    assert named in result.output
