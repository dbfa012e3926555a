"""`helpdesk serve` as a real process for end-to-end tests: started on a free port, stopped afterwards."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest

START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def serving(env: dict[str, str], *args: str, also: Callable[[], bool] = lambda: True) -> Iterator[str]:
    """The server's URL once /readyz answers and `also()` holds; fails the test if it exits or never does."""
    port = free_port()
    # the log goes to a file, never an unread pipe: a full pipe would block the server mid-request
    with tempfile.TemporaryFile() as log_file:
        proc = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port), *args], env=env,
                                stdout=subprocess.DEVNULL, stderr=log_file)

        def log() -> str:
            log_file.seek(0)
            return log_file.read().decode(errors="replace")[-4000:]

        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_S
        try:
            while not (also() and ready(url)):
                if proc.poll() is not None:
                    pytest.fail(f"helpdesk serve exited: {log()}")
                if time.monotonic() > deadline:
                    proc.kill()
                    proc.wait(timeout=30)
                    pytest.fail(f"helpdesk serve did not start: {log()}")
                time.sleep(0.1)
            yield url
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)
