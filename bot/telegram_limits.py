"""Pacing for messages the bot starts itself (outbox deliveries): Telegram asks bots to stay near one
message per second in a chat and thirty per second overall, and answers 429 beyond that."""

from __future__ import annotations

import asyncio
import time

PER_CHAT_INTERVAL_S = 1.0
OVERALL_PER_SECOND = 30


class SendPacer:
    """`await pacer.slot(chat_id)` before each send. Slots are handed out under a lock but waited for
    outside it, so a chat that must wait its second never holds up the others."""

    def __init__(self, per_chat_s: float = PER_CHAT_INTERVAL_S, overall: int = OVERALL_PER_SECOND) -> None:
        self._per_chat_s = per_chat_s
        self._spacing_s = 1.0 / overall
        self._next_any = 0.0
        self._next_in: dict[int, float] = {}
        self._lock = asyncio.Lock()

    async def slot(self, chat_id: int) -> None:
        async with self._lock:
            now = time.monotonic()
            overall = max(now, self._next_any)
            self._next_any = overall + self._spacing_s
            at = max(overall, self._next_in.get(chat_id, 0.0))
            self._next_in[chat_id] = at + self._per_chat_s
            if len(self._next_in) > 10_000:  # forget chats that are free to send again
                self._next_in = {c: t for c, t in self._next_in.items() if t > now}
        if at > now:
            await asyncio.sleep(at - now)
