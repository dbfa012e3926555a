"""A small client of the WhatsApp Business Cloud API (Graph API), on httpx.

Only what the helpdesk uses: send a message, upload an operator's file, look up and download a user's
media, and the read-only calls
`helpdesk whatsapp check` makes. Graph errors come back as `GraphError` with Meta's numeric code, so callers
decide by code (131047: outside the 24-hour window; 130429/131056: slow down; 131026: undeliverable).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from core.settings import Settings

OUTSIDE_WINDOW = {131047}  # re-engagement: more than 24 hours since the user wrote
SLOW_DOWN = {4, 80007, 130429, 131048, 131056}  # throughput, spam and pair-rate limits
UNDELIVERABLE = {131026}  # the user cannot receive messages (not on WhatsApp, or blocked the business)


class GraphError(Exception):
    """A non-2xx answer of the Graph API, with Meta's error code when it gave one."""

    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(f"{status} (code {code}): {message}")
        self.status, self.code, self.message = status, code, message

    @property
    def retryable(self) -> bool:
        return self.status >= 500 or self.status == 429 or self.code in SLOW_DOWN


@dataclass(frozen=True)
class Media:
    url: str
    mime_type: str
    file_size: int | None


Monotonic = Callable[[], float]


class Pacer:
    """At most `per_second` sends from the business number, spread evenly, and per recipient a bucket of
    `burst` messages refilled one every `pair_gap_s` (Meta's pair rate: a burst, then about one in 6 s)."""

    def __init__(self, per_second: float, *, burst: int = 20, pair_gap_s: float = 6.0,
                 clock: Monotonic = time.monotonic, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._gap, self._burst, self._pair_gap = 1.0 / per_second, burst, pair_gap_s
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._buckets: dict[str, tuple[float, float]] = {}  # recipient -> (tokens, when counted)
        self._lock = asyncio.Lock()

    def _pair_wait(self, to: str, now: float) -> float:
        """Seconds until `to` may get another message; takes the token when it is 0."""
        tokens, at = self._buckets.get(to, (float(self._burst), now))
        tokens = min(float(self._burst), tokens + (now - at) / self._pair_gap)
        if tokens >= 1:
            self._buckets[to] = (tokens - 1, now)
            return 0.0
        self._buckets[to] = (tokens, now)
        return (1 - tokens) * self._pair_gap

    async def wait(self, to: str) -> None:
        async with self._lock:
            while (pause := self._pair_wait(to, self._clock())) > 0:
                await self._sleep(pause)
            now = self._clock()
            if self._next > now:
                await self._sleep(self._next - now)
            self._next = max(now, self._next) + self._gap
            if len(self._buckets) > 10_000:  # forget recipients whose buckets are full again
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < self._burst * self._pair_gap}


class CloudApi:
    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        assert settings.whatsapp_token and settings.whatsapp_phone_number_id
        self._base = settings.whatsapp_api_url.rstrip("/")
        self._number = settings.whatsapp_phone_number_id
        self._auth = {"Authorization": f"Bearer {settings.whatsapp_token}"}
        self._client = client or httpx.AsyncClient(timeout=20.0)
        self._pacer = Pacer(settings.whatsapp_messages_per_second)

    async def close(self) -> None:
        await self._client.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            answer = await self._client.request(method, f"{self._base}/{path}", headers=self._auth, **kwargs)
        except httpx.HTTPError as err:
            raise GraphError(599, None, f"cannot reach the Graph API: {err}") from err
        data: dict[str, Any] = answer.json() if answer.headers.get("content-type", "").startswith(
            "application/json") else {}
        if answer.is_error:
            error = data.get("error", {}) if isinstance(data.get("error"), dict) else {}
            details = error.get("error_data", {}).get("details") if isinstance(error.get("error_data"), dict) else None
            raise GraphError(answer.status_code, error.get("code"), details or error.get("message") or answer.text)
        return data

    async def send(self, to: str, message: dict[str, Any]) -> str:
        """Send one message object to `to` (a wa_id); Meta's id for it (`wamid...`)."""
        await self._pacer.wait(to)
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, **message}
        data = await self._call("POST", f"{self._number}/messages", json=body)
        return str(data["messages"][0]["id"])

    async def upload(self, data: bytes, mime: str, filename: str) -> str:
        """Upload a file for a media message; Meta's media id for it."""
        form = {"messaging_product": "whatsapp", "type": mime}
        data_out = await self._call("POST", f"{self._number}/media", data=form,
                                    files={"file": (filename, data, mime)})
        return str(data_out["id"])

    async def media(self, media_id: str) -> Media:
        data = await self._call("GET", media_id)
        return Media(str(data["url"]), str(data.get("mime_type", "application/octet-stream")), data.get("file_size"))

    async def download(self, media: Media, max_bytes: int) -> bytes:
        """The media's bytes (its URL lives 5 minutes and needs the token); refuses past `max_bytes`."""
        chunks, size = [], 0
        async with self._client.stream("GET", media.url, headers=self._auth) as answer:
            if answer.is_error:
                raise GraphError(answer.status_code, None, "media download refused")
            async for chunk in answer.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise GraphError(413, None, f"media larger than {max_bytes} bytes")
                chunks.append(chunk)
        return b"".join(chunks)

    async def phone_number(self) -> dict[str, Any]:
        return await self._call("GET", self._number, params={"fields": "display_phone_number,verified_name"})

    async def subscribed_apps(self, waba_id: str) -> dict[str, Any]:
        return await self._call("GET", f"{waba_id}/subscribed_apps")

    async def templates(self, waba_id: str) -> list[dict[str, Any]]:
        data = await self._call("GET", f"{waba_id}/message_templates", params={"limit": 200})
        return list(data.get("data", []))
