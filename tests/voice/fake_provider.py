"""A stand-in for the telephony provider's media host on 127.0.0.1: serves call recordings behind HTTP
basic auth (account SID and auth token), as Twilio's recording URLs do, and remembers what was fetched."""

from __future__ import annotations

import base64
import io
import math
import struct
import threading
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def tone_wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A short 8 kHz mono WAV, like a phone recording."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = (int(8000 * math.sin(2 * math.pi * 440 * n / rate)) for n in range(int(seconds * rate)))
        w.writeframes(b"".join(struct.pack("<h", f) for f in frames))
    return out.getvalue()


class FakeProvider:
    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.recordings: dict[str, bytes] = {}
        self.fetched: list[str] = []
        self._auth = "Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add_recording(self, sid: str, data: bytes) -> str:
        path = f"/2010-04-01/Accounts/AC-test/Recordings/{sid}"
        self.recordings[path] = data
        return self.url + path

    @contextmanager
    def running(self) -> Iterator[FakeProvider]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                provider.fetched.append(self.path)
                if self.headers.get("Authorization") != provider._auth:
                    self._send(401, b"authentication required", "text/plain")
                elif self.path not in provider.recordings:
                    self._send(404, b"no such recording", "text/plain")
                else:
                    self._send(200, provider.recordings[self.path], "audio/x-wav")

            def _send(self, status: int, body: bytes, mime: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", mime)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
