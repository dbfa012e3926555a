"""Limits on what anonymous chat clients may start and send, per client address and overall, so that nobody
can grow storage or the operators' queue without bound: new conversations and messages (web chat and HTTP
chat), and the web chat's new conversations, photos and resume-code tries.

Counted in the database (core.shared_limits), so several `helpdesk serve` processes share one count, as the
sign-in throttle does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.settings import Settings
from core.shared_limits import Limit, SharedLimits

log = logging.getLogger(__name__)
HOUR, MINUTE = timedelta(hours=1), timedelta(minutes=1)
CODE_TRIES_PER_MINUTE = 10  # resume codes one client address may try: 32^8 codes cannot be guessed at this rate


@dataclass(frozen=True)
class ChatRefusal:
    """Over a limit: which kind, whether the address's own or the overall one, and when to try again."""

    kind: str
    scope: str  # "address" or "overall"
    retry_after_s: int

    def message(self) -> str:
        who = "from this address" if self.scope == "address" else "on the helpdesk right now"
        what = {"conversation": "new chats", "message": "messages", "web_conversation": "new chats",
                "photo": "photos", "code": "resume code tries"}[self.kind]
        return f"too many {what} {who}: try again in {self.retry_after_s} seconds"


class ChatLimits:
    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession],
                 clock: Callable[[], datetime]) -> None:
        self._exempt = frozenset(settings.chat_limit_exempt_addresses)
        self.shared = SharedLimits(sessions, clock)
        s = settings
        # kind -> (per address, overall): (limit, window)
        self._limits = {
            "conversation": ((s.chat_conversations_per_address_hour, HOUR),
                             (s.chat_conversations_overall_per_hour, HOUR)),
            "message": ((s.chat_messages_per_address_minute, MINUTE), (s.chat_messages_overall_per_minute, MINUTE)),
            "web_conversation": ((s.web_chat_new_per_minute, MINUTE), (s.web_chat_new_per_minute_total, MINUTE)),
            "photo": ((s.web_chat_photos_per_minute, MINUTE), (0, MINUTE)),
            "code": ((CODE_TRIES_PER_MINUTE, MINUTE), (0, MINUTE)),
        }

    async def refusal(self, kind: str, address: str) -> ChatRefusal | None:
        """None if one more `kind` from `address` is allowed (and counts it), else why not."""
        (mine, mine_window), (overall, overall_window) = self._limits[kind]
        limits = [] if address in self._exempt else [Limit(f"{kind}:address:{address[:100]}", mine, mine_window)]
        limits.append(Limit(f"{kind}:overall", overall, overall_window))
        found = await self.shared.refused(limits)
        if found is None:
            return None
        limit, wait = found
        refusal = ChatRefusal(kind, "overall" if limit.key.endswith(":overall") else "address", _seconds(wait))
        log.warning("chat %s refused for %s (%s limit); retry in %d s", kind, address, refusal.scope,
                    refusal.retry_after_s)
        return refusal


def _seconds(wait: float) -> int:
    return max(1, int(wait + 0.999))
