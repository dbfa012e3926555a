"""Operator reply to a user's screen in the web chat: how long from an operator sending a reply to it reaching
an open chat page.

    python -m bench.chat_latency [--replies 20] [--database-url URL] [--format json]

Starts a real `helpdesk serve` (a fresh SQLite file, or with --database-url a scratch database
`bench_chat_latency` on that PostgreSQL server, dropped afterwards), files a
ticket through the web chat as a browser would (the hd_chat cookie, typed numbers), then keeps the page's
long-polling request open exactly as web/static/chat.js does (`GET /web/chat/wait?after=<last bubble>&hold=..`,
re-asked at once). An operator sends `--replies` replies through the API, a random 0.2-1.5 s apart; each
latency runs from the moment the reply request is sent to the moment the bubble carrying it arrives at the
client. Prints p50 / p95 / max; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.machine import machine
from bench.scratch import scratch_database

HELPDESK = str(Path(sys.executable).with_name("helpdesk"))
FILING = ["2", "1", "Bill page shows an error on save", "7", "2", "1", "2", "1"]  # typed numbers (tests/web)
HOLD_S = 25


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _file_ticket(chat: httpx.AsyncClient) -> tuple[str, int]:
    """A ticket filed through the web chat; its number and the newest bubble's id."""
    page = ""
    for words in FILING:
        answer = await chat.post("/web/chat/send", data={"text": words, "lang": "en"})
        answer.raise_for_status()
        page += answer.text
    number = re.findall(r'data-ticket="([^"]+)"', page)[-1]
    return number, max(int(i) for i in re.findall(r'data-id="(\d+)"', page))


async def _watch(chat: httpx.AsyncClient, after: int, seen: dict[str, float], stop: asyncio.Event) -> None:
    """The page's wait loop: each arriving bubble's text, with when it arrived."""
    while not stop.is_set():
        answer = await chat.get("/web/chat/wait", params={"after": after, "hold": HOLD_S}, timeout=HOLD_S + 10)
        arrived = time.perf_counter()
        if answer.status_code == 200:
            for found in re.findall(r"Bench reply (\d+)", answer.text):
                seen.setdefault(found, arrived)
            after = max([after, *(int(i) for i in re.findall(r'data-id="(\d+)"', answer.text))])


async def measure(server: str, token: str, replies: int, seed: int = 21) -> list[float]:
    pause = random.Random(seed)
    seen: dict[str, float] = {}
    stop = asyncio.Event()
    async with httpx.AsyncClient(base_url=server, timeout=30) as chat, \
            httpx.AsyncClient(base_url=server, timeout=30, headers={"Authorization": f"Bearer {token}"}) as desk:
        number, after = await _file_ticket(chat)
        watcher = asyncio.create_task(_watch(chat, after, seen, stop))
        await asyncio.sleep(1)
        latencies = []
        for n in range(replies):
            sent = time.perf_counter()
            (await desk.post(f"/api/tickets/{number}/reply", json={"text": f"Bench reply {n}"})).raise_for_status()
            while str(n) not in seen:
                if time.perf_counter() - sent > 30:
                    raise RuntimeError(f"reply {n} never reached the chat")
                await asyncio.sleep(0.005)
            latencies.append(seen[str(n)] - sent)
            await asyncio.sleep(pause.uniform(0.2, 1.5))
        stop.set()
        watcher.cancel()
    return latencies


def _serve(database_url: str, data: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    env |= {"HELPDESK_DATA_DIR": str(data), "HELPDESK_DATABASE_URL": database_url}
    subprocess.run([HELPDESK, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=300)
    token = subprocess.run([HELPDESK, "tokens", "create", "--name", "bench", "--role", "operator"], env=env,
                           check=True, capture_output=True, text=True, timeout=120).stdout.strip()
    port = _free_port()
    proc = subprocess.Popen([HELPDESK, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return proc, url, token
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("helpdesk serve did not start")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=20)
    parser.add_argument("--database-url")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, scratch_database(args.database_url, "bench_chat_latency") as db:
        proc, url, token = _serve(db, Path(tmp))
        try:
            latencies = asyncio.run(measure(url, token, args.replies))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    ms = sorted(x * 1000 for x in latencies)
    backend = "postgresql" if args.database_url and "postgres" in args.database_url else "sqlite"
    result: dict[str, Any] = {
        "benchmark": "chat_latency", "backend": backend, "replies": len(ms), "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(statistics.quantiles(ms, n=20, method="inclusive")[18], 1), "max_ms": round(ms[-1], 1),
        "machine": machine(), "latencies_ms": [round(x, 1) for x in ms],
    }
    if args.format == "json":
        print(json.dumps(result, indent=2))
    else:
        print(f"operator reply -> web chat screen over {result['replies']} replies ({backend}): "
              f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, max {result['max_ms']} ms")


if __name__ == "__main__":
    main()
