"""A sliding-window rate limit per key (a chat user, an API token), kept in this process's memory.

Each `helpdesk serve` process counts for itself, so N processes behind a load balancer allow up to N times
the limit; that bounds a flood from one user or token, which is what it is for.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable

WINDOW_S = 60.0
MAX_KEYS = 100_000  # beyond this, keys idle for a whole window are dropped


class RateLimiter:
    """At most `per_minute` events per key in any 60 seconds (or `window_s`); `per_minute` 0 means no limit."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic,
                 window_s: float = WINDOW_S) -> None:
        self._limit = per_minute
        self._clock = clock
        self._window = window_s
        self._seen: dict[Hashable, deque[float]] = {}

    def retry_after(self, key: Hashable) -> float:
        """0 if the event is allowed (and counted); else seconds until it would be."""
        if self._limit <= 0:
            return 0.0
        now = self._clock()
        times = self._seen.setdefault(key, deque())
        while times and times[0] <= now - self._window:
            times.popleft()
        if len(times) >= self._limit:
            return times[0] + self._window - now
        times.append(now)
        if len(self._seen) > MAX_KEYS:
            self._forget_idle(now)
        return 0.0

    def tracked(self) -> int:
        """How many keys the limiter holds in memory now."""
        return len(self._seen)

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, t in self._seen.items() if not t or t[-1] <= now - self._window]:
            del self._seen[key]
