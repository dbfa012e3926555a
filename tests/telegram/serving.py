"""`helpdesk serve --telegram MODE` as a real process for the end-to-end tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.telegram.fake_bot_api import FakeBotApi


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def serving(env: dict[str, str], fake: FakeBotApi, mode: str) -> Iterator[str]:
    """The server's URL once it answers (and, polling, once it polls); stopped afterwards."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port), "--telegram", mode],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not ((mode != "polling" or fake.calls("getUpdates")) and _ready(url)):
        if proc.poll() is not None:
            pytest.fail(f"helpdesk serve exited: {proc.communicate()[1]}")
        time.sleep(0.1)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
