"""The time tests run at: a fixed, movable clock, so that no test reads the wall clock (tests/test_no_wall_clock.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

START = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


class FixedClock:
    """The time the code under test sees: `START` until a test moves it."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **span: float) -> None:
        self.now += timedelta(**span)
