"""The operator API under load: `helpdesk serve` with 100,000 generated tickets, driven by `wrk` on loopback.

    python -m bench.api_load [--database-url URL] [--tickets 100000] [--connections 1 10 50] [--seconds 10]
                             [--repeat 3] [--format json]

For each endpoint (queue first page, a filtered queue, a ticket's detail, a reply) and each number of
concurrent connections, `wrk` (a separate process; `make bench` installs it from Debian) runs closed-loop for
`--seconds`, `--repeat` times; the figures are the medians over the repeats, each run's kept beside them.
Without --database-url the server uses a fresh SQLite file; a PostgreSQL URL names a server on which a
scratch database `bench_api` is created and dropped afterwards. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.orm import Session

from bench.machine import machine
from bench.queue_first_page import load_tickets
from bench.scratch import scratch_database
from core.db import is_sqlite, sync_url, utcnow
from core.settings import Settings
from tickets.models import TicketRow
from tickets.sla import SlaPolicy
from tickets.sla_job import SWEPT, clock_reading

HELPDESK = str(Path(sys.executable).with_name("helpdesk"))
REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, '
    .. '"non_2xx": %d, "socket_errors": %d}\\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), latency.max, e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def lua_script(method: str, paths: list[str], token: str, body: str | None) -> str:
    """A wrk script cycling through `paths` with the operator's token, reporting JSON at the end."""
    listed = ",".join(json.dumps(p) for p in paths)
    lines = [
        f"local paths = {{{listed}}}",
        "local n = 0",
        f'wrk.method = "{method}"',
        f'wrk.headers["Authorization"] = "Bearer {token}"',
    ]
    if body is not None:
        lines += ['wrk.headers["Content-Type"] = "application/json"', f"wrk.body = {json.dumps(body)}"]
    lines += ["request = function()", "  n = n + 1", "  return wrk.format(nil, paths[(n % #paths) + 1])", "end"]
    return "\n".join(lines) + REPORT


def endpoints(numbers: list[str]) -> dict[str, tuple[str, list[str], str | None]]:
    detail = [f"/api/tickets/{n}" for n in numbers]
    return {
        "queue first page": ("GET", ["/api/tickets"], None),
        "filtered queue (P1, one ULB)": ("GET", ["/api/tickets?priority=P1&ulb=od.puri"], None),
        "ticket detail": ("GET", detail, None),
        "reply": ("POST", [f"{p}/reply" for p in detail], json.dumps({"text": "Please try again now."})),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(env: dict[str, str], workers: int = 1) -> Iterator[tuple[str, int]]:
    """`helpdesk serve` in a subprocess, ready (its /healthz answers) when this yields its base URL and pid."""
    port = free_port()
    more = ["--workers", str(workers)] if workers > 1 else []
    server = subprocess.Popen([HELPDESK, "serve", "--port", str(port), *more], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"helpdesk serve did not come up on {base} (exit code {server.poll()})")
            time.sleep(0.2)
        yield base, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


def settle_sla(url: str) -> int:
    """Record each swept ticket's SLA status as the sweep would find it now, so that the server's first sweep
    is a steady-state pass (generated tickets are up to a year old; escalating them all would take minutes)."""
    policy = SlaPolicy.from_settings(Settings(database_url=url))
    engine = create_engine(sync_url(url))
    by_status: dict[str, list[int]] = {}
    with Session(engine) as session, session.begin():
        for row in session.scalars(select(TicketRow).where(TicketRow.status.in_(SWEPT))):
            by_status.setdefault(clock_reading(row, policy, utcnow()).status, []).append(row.id)
        for status, ids in by_status.items():
            for start in range(0, len(ids), 5000):
                session.execute(update(TicketRow).where(TicketRow.id.in_(ids[start:start + 5000]))
                                .values(sla_status=status))
    engine.dispose()
    return sum(len(ids) for ids in by_status.values())


def warm_up(base: str, token: str, limit_s: float = 300) -> float:
    """Wait out the server's first SLA sweep pass: until the queue answers three times running within 0.2 s."""
    started, quick = time.monotonic(), 0
    headers = {"Authorization": f"Bearer {token}"}
    while quick < 3 and time.monotonic() - started < limit_s:
        sent = time.monotonic()
        httpx.get(f"{base}/api/tickets", headers=headers, timeout=60).raise_for_status()
        quick = quick + 1 if time.monotonic() - sent < 0.2 else 0
    return time.monotonic() - started


def wait_idle(pid: int, limit_s: float = 300) -> float:
    """Wait until the server uses under 10% of a core for two seconds running: its first SLA sweep pass (which
    reads every active ticket) is over. Reads no longer wait for the sweep on SQLite, so the queue's speed
    alone does not show it."""
    started, calm = time.monotonic(), 0
    tick = os.sysconf("SC_CLK_TCK")

    def cpu_s() -> float:  # the server's and its workers' (`--workers`): utime + stime
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        total = 0
        for process in [str(pid), *children]:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / tick

    while calm < 2 and time.monotonic() - started < limit_s:
        before = cpu_s()
        time.sleep(1)
        calm = calm + 1 if cpu_s() - before < 0.1 else 0
    return time.monotonic() - started


def active_numbers(url: str, count: int = 2000) -> list[str]:
    engine = create_engine(sync_url(url))
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT number FROM tickets WHERE status IN ('new', 'open', 'escalated') "
                                 "ORDER BY number LIMIT :n"), {"n": count})
        numbers = [r[0] for r in rows]
    engine.dispose()
    return numbers


def run_wrk(base: str, script: Path, connections: int, seconds: int) -> dict[str, Any]:
    threads = min(connections, 2)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), base],
        capture_output=True, text=True, check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    raw = json.loads(line.removeprefix("WRKJSON "))
    return {
        "requests_per_s": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2), "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2), "requests": raw["requests"],
        "non_2xx": raw["non_2xx"], "socket_errors": raw["socket_errors"],
    }


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("requests_per_s", "p50_ms", "p99_ms")
    return {k: round(statistics.median(r[k] for r in runs), 2) for k in keys} | {
        "non_2xx": sum(r["non_2xx"] for r in runs), "runs": runs}


def measure(url: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    load_s = load_tickets(url, args.tickets)
    started = time.perf_counter()
    swept = settle_sla(url)
    settle_s = time.perf_counter() - started
    # One token drives every connection here, so its per-token limit (600 a minute as shipped) is lifted:
    # the figures are the server's capacity, not the limit's.
    env = os.environ | {"HELPDESK_DATABASE_URL": url, "HELPDESK_DATA_DIR": str(work / "data"),
                        "HELPDESK_API_REQUESTS_PER_MINUTE": "0"}
    if args.sweep_seconds is not None:
        env["HELPDESK_SLA_SWEEP_SECONDS"] = str(args.sweep_seconds)
    token = subprocess.run([HELPDESK, "tokens", "create", "--name", "bench", "--role", "operator"], env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    results: dict[str, Any] = {}
    with serving(env, args.workers) as (base, pid):
        warm_s = warm_up(base, token) + wait_idle(pid)
        for name, (method, paths, body) in endpoints(active_numbers(url)).items():
            script = work / "load.lua"
            script.write_text(lua_script(method, paths, token, body), encoding="utf-8")
            for connections in args.connections:
                runs = [run_wrk(base, script, connections, args.seconds) for _ in range(args.repeat)]
                results.setdefault(name, {})[str(connections)] = medians(runs)
    return {"load_s": round(load_s, 1), "active_swept_tickets": swept, "settle_sla_s": round(settle_s, 1),
            "warm_up_s": round(warm_s, 1),
            "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a PostgreSQL server (a scratch database is made on it)")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sweep-seconds", type=int, help="the server's SLA sweep period (default: as shipped); "
                        "a long one keeps the sweep's later passes out of the measurement")
    parser.add_argument("--workers", type=int, default=1, help="helpdesk serve --workers: server processes")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed: `make bench` installs it (bench/debian-packages.txt)")
    with scratch_database(args.database_url, "bench_api") as url, tempfile.TemporaryDirectory() as work:
        backend = "sqlite" if is_sqlite(url) else "postgresql"
        report = {"benchmark": "api_load", "backend": backend, "tickets": args.tickets, "seconds": args.seconds,
                  "repeat": args.repeat, "sla_sweep_seconds": args.sweep_seconds or "as shipped",
                  "workers": args.workers,
                  "machine": machine(), **measure(url, args, Path(work))}
    if args.format == "json":
        print(json.dumps(report, indent=2))
        return
    print(f"operator API with {args.tickets:,} tickets on {backend}, {args.workers} server process(es) "
          f"(medians of {args.repeat} runs)")
    for name, by_connections in report["results"].items():
        for connections, r in by_connections.items():
            print(f"  {name:30} {connections:>3} conn  {r['requests_per_s']:8.1f} req/s  p50 {r['p50_ms']:7.2f} ms"
                  f"  p99 {r['p99_ms']:7.2f} ms  non-2xx {r['non_2xx']}")


if __name__ == "__main__":
    main()
