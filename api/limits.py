"""A cap on request bodies: a larger one is refused with 413 before any route reads it."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    """Refuses bodies over `max_bytes`: by Content-Length up front, or while a chunked body streams in."""

    def __init__(self, app: ASGIApp, max_bytes: int, per_path: Mapping[str, int] | None = None) -> None:
        """`per_path`: paths with a limit of their own (an upload route), instead of `max_bytes`; a path may be
        a route's template (`/console/tickets/{number}/reply`), a parameter matching one path segment."""
        self.app, self.max_bytes, self.per_path = app, max_bytes, dict(per_path or {})
        self._templates = [(re.compile("".join(r"[^/]+" if part.startswith("{") else re.escape(part)
                                               for part in re.split(r"(\{[^}]*\})", path)) + "$"), limit)
                           for path, limit in self.per_path.items() if "{" in path]

    def limit_for(self, path: str) -> int:
        if path in self.per_path:
            return self.per_path[path]
        return next((limit for pattern, limit in self._templates if pattern.match(path)), self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await self._refuse(send, limit)
            return
        seen, started, refused = 0, False, False

        async def counting() -> Message:
            nonlocal seen, refused
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit and not started and not refused:
                refused = True  # answer now; the app sees the client go away, and whatever it says is dropped
                await self._refuse(send, limit)
                return {"type": "http.disconnect"}
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting, tracking)
        except Exception:
            if not refused:
                raise

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        body = json.dumps({"error": "too_large",
                           "message": f"the request body is over the limit of {limit} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
