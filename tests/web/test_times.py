"""Times as operators read them, with a fixed clock: IST with its zone, ages, business time to a target."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.settings import Settings
from tickets.calendar import BusinessCalendar
from tickets.store import Ticket
from web.console import sla_clock
from web.times import ago, due_in, local, person

# Wednesday 2 December 2026, 10:00 IST (a working day in Odisha)
NOW = datetime(2026, 12, 2, 4, 30, tzinfo=UTC)
CALENDAR = BusinessCalendar.from_settings(Settings())


def test_a_time_is_shown_in_ist_with_its_zone() -> None:
    assert local(NOW, "Asia/Kolkata") == "2 Dec 2026, 10:00 IST"
    assert local("2026-12-02T12:45:00+00:00", "Asia/Kolkata") == "2 Dec 2026, 18:15 IST"
    assert local(None, "Asia/Kolkata") == ""


def test_an_age_reads_in_minutes_hours_or_days() -> None:
    assert ago(NOW - timedelta(seconds=20), NOW) == "just now"
    assert ago(NOW - timedelta(minutes=12), NOW) == "12 min ago"
    assert ago(NOW - timedelta(hours=3, minutes=50), NOW) == "3 h ago"
    assert ago(NOW - timedelta(days=3), NOW) == "3 d ago"


def test_a_due_time_counts_business_hours_only() -> None:
    assert due_in(NOW + timedelta(hours=2), NOW, CALENDAR) == "due in 2 business hours"
    assert due_in(NOW + timedelta(minutes=45), NOW, CALENDAR) == "due in 45 business min"
    # Thursday 10:00 IST is 24 h away but only one working day (9 business hours: 10:00-18:00, 09:00-10:00)
    assert due_in(NOW + timedelta(days=1), NOW, CALENDAR) == "due in 9 business hours"
    assert due_in(NOW - timedelta(hours=1), NOW, CALENDAR) == "overdue by 1 business hour"


def test_the_queue_clock_is_paused_while_waiting_and_breached_when_overdue() -> None:
    base = Ticket(channel="telegram", user_id="1", role=None, ulb=None, language="en", module="bills",
                  category="technical", priority="P1", priority_reason="", description="", team="l1",
                  status="open", response_due_at=NOW - timedelta(minutes=30))
    assert sla_clock(base, NOW, CALENDAR) == ("breached", "overdue by 30 business min")
    waiting = Ticket(**{**base.__dict__, "status": "waiting_on_user"})
    assert sla_clock(waiting, NOW, CALENDAR)[1] == "paused: waiting on the user"
    answered = Ticket(**{**base.__dict__, "first_response_at": NOW})
    assert sla_clock(answered, NOW, CALENDAR)[1] == "answered"


def test_the_user_is_named_as_such_and_operators_by_name() -> None:
    assert person("user:Zx81_k2") == "the user"
    assert person("meera") == "meera"
