"""Limits on what chat clients may start: new conversations (HTTP chat users first seen) and messages (web
chat and HTTP chat), per client address and overall, so that nobody can grow storage or the operators' queue
without bound. The web chat's own limits on new conversations and photos are in web.context.ChatLimits.

Counted in this process's memory (a sliding window each): cheap on the chat's hot path. With `helpdesk
serve --workers N` the overall limits allow N times as much, which still bounds a flood.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.ratelimit import RateLimiter
from core.settings import Settings

log = logging.getLogger(__name__)
HOUR_S, MINUTE_S = 3600.0, 60.0


@dataclass(frozen=True)
class ChatRefusal:
    """Over a limit: which kind, whether the address's own or the overall one, and when to try again."""

    kind: str
    scope: str  # "address" or "overall"
    retry_after_s: int

    def message(self) -> str:
        who = "from this address" if self.scope == "address" else "on the helpdesk right now"
        what = {"conversation": "new chats", "message": "messages"}[self.kind]
        return f"too many {what} {who}: try again in {self.retry_after_s} seconds"


class ChatLimits:
    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._exempt = frozenset(settings.chat_limit_exempt_addresses)
        now = self._now
        s = settings
        self._limits = {
            "conversation": (RateLimiter(s.chat_conversations_per_address_hour, now, HOUR_S),
                             RateLimiter(s.chat_conversations_overall_per_hour, now, HOUR_S)),
            "message": (RateLimiter(s.chat_messages_per_address_minute, now, MINUTE_S),
                        RateLimiter(s.chat_messages_overall_per_minute, now, MINUTE_S))
        }

    def _now(self) -> float:
        return self.clock()

    def refusal(self, kind: str, address: str) -> ChatRefusal | None:
        """None if one more `kind` from `address` is allowed (and counts it), else why not."""
        per_address, overall = self._limits[kind]
        if address not in self._exempt and (wait := per_address.retry_after(address)):
            refusal = ChatRefusal(kind, "address", _seconds(wait))
        elif wait := overall.retry_after("*"):
            refusal = ChatRefusal(kind, "overall", _seconds(wait))
        else:
            return None
        log.warning("chat %s refused for %s (%s limit); retry in %d s", kind, address, refusal.scope,
                    refusal.retry_after_s)
        return refusal


def _seconds(wait: float) -> int:
    return max(1, int(wait + 0.999))
