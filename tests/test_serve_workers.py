"""`helpdesk serve --workers 2`: two processes answer on one port, and one that dies is replaced."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.jsonchat import helpdesk_here
from tests.serving import free_port, ready


def _workers(parent: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{parent}/task/{parent}/children").read_text().split()]


def _wait(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_two_workers_serve_one_port_and_a_killed_worker_is_replaced(tmp_path: Path) -> None:
    env = os.environ | {"HELPDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}",
                        "HELPDESK_DATA_DIR": str(tmp_path / "data")}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port), "--workers", "2"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: ready(url) and len(_workers(server.pid)) == 2, "two workers answering")
        first = _workers(server.pid)
        os.kill(first[0], signal.SIGKILL)  # a worker crashes
        _wait(lambda: len(_workers(server.pid)) == 2 and first[0] not in _workers(server.pid), "a replacement")
        _wait(lambda: ready(url), "the port to answer")
        statuses = {httpx.get(f"{url}/healthz", timeout=5).status_code for _ in range(20)}
        assert statuses == {200}
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=60)
    assert code == 0  # a stop asked for is a clean exit, workers included
    assert not any(Path(f"/proc/{pid}").exists() for pid in first[1:])


def test_polling_telegram_with_several_workers_is_refused_up_front(tmp_path: Path) -> None:
    env = os.environ | {"HELPDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}",
                        "HELPDESK_DATA_DIR": str(tmp_path / "data"), "HELPDESK_TELEGRAM_TOKEN": "123:abc"}
    # in this process (tests.jsonchat.helpdesk_here): the refusal comes before any worker or socket
    result = helpdesk_here(env, "serve", "--workers", "2", "--telegram", "polling")
    assert result.exit_code == 2
    assert "--telegram webhook" in result.stderr
