"""How fast the operators' queue answers with many tickets: first page, a filtered page, a deep page.

    python bench/queue_first_page.py [--tickets 100000] [--database-url URL] [--repeat 200] [--format json]

Without --database-url it runs on a fresh SQLite file; pass a PostgreSQL URL to measure that (its public
schema is dropped and recreated, so use a scratch database). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

from core.db import make_engine, make_sessions, sync_url, upgrade, utcnow
from tickets.models import TicketRow
from tickets.queue import QueueFilter, queue_page

STATUSES = ["new"] * 10 + ["open"] * 15 + ["escalated"] * 5 + ["waiting_on_user"] * 5 + ["resolved"] * 25 + [
    "closed"] * 40
ULBS = ["od.jatni", "od.dhenkanal", "od.puri", "od.cuttack"]


def ticket_rows(count: int) -> list[dict[str, Any]]:
    rng = random.Random(7)
    now = utcnow()
    rows = []
    for n in range(1, count + 1):
        created = now - timedelta(minutes=rng.randint(0, 60 * 24 * 365))
        rows.append({
            "number": f"HD-{n:06d}", "channel": "telegram", "user_id": str(rng.randint(1, 20000)),
            "role": "junior_engineer", "ulb": rng.choice(ULBS), "language": "en", "module": "bills",
            "category": rng.choice(["functional", "technical", "bug", "enhancement"]),
            "priority": rng.choice(["P1", "P2", "P3", "P4"]), "priority_reason": "benchmark",
            "description": "generated ticket for the queue benchmark", "attachments": [], "transcript": [],
            "faq_offered": [], "faq_rejected": [], "status": rng.choice(STATUSES), "team": "state_technical",
            "created_at": created, "updated_at": created,
            "response_due_at": created + timedelta(hours=rng.randint(4, 48)),
            "resolution_due_at": created + timedelta(hours=96), "version": 1, "sla_status": "on_time", "pauses": [],
            "escalation_level": 0,
        })
    return rows


def load_tickets(url: str, count: int) -> float:
    if url.startswith("postgresql"):
        engine = create_engine(sync_url(url))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    engine = create_engine(sync_url(url))
    started = time.perf_counter()
    rows = ticket_rows(count)
    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(insert(TicketRow), rows[i:i + 5000])
        if url.startswith("postgresql"):
            conn.execute(text("ANALYZE tickets"))
    engine.dispose()
    return time.perf_counter() - started


async def _measure(url: str, repeat: int) -> dict[str, dict[str, float]]:
    db = make_engine(url)
    sessions = make_sessions(db)
    cases = {
        "first page (50, active)": (QueueFilter(), False),
        "filtered (P1, one ULB)": (QueueFilter(priority="P1", ulb="od.puri"), False),
        "fifth page (cursor)": (QueueFilter(), True),
    }
    results = {}
    for name, (filters, deep) in cases.items():
        cursor = None
        if deep:
            async with sessions() as session:
                for _ in range(4):
                    _, cursor = await queue_page(session, filters, cursor)
        timings = []
        for _ in range(repeat):
            async with sessions() as session:
                started = time.perf_counter()
                await queue_page(session, filters, cursor)
                timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        results[name] = {"p50_ms": round(statistics.median(timings), 2),
                         "p99_ms": round(timings[int(len(timings) * 0.99) - 1], 2)}
    await db.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        load_s = load_tickets(url, args.tickets)
        results = asyncio.run(_measure(url, args.repeat))
    backend = url.split(":", 1)[0]
    report = {"benchmark": "queue", "backend": backend, "tickets": args.tickets, "load_s": round(load_s, 1),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
              "results": results}
    if args.format == "json":
        print(json.dumps(report, indent=2))
        return
    print(f"queue with {args.tickets:,} tickets on {backend} (loaded in {load_s:.1f} s)")
    for name, figures in results.items():
        print(f"  {name:28} p50 {figures['p50_ms']:7.2f} ms   p99 {figures['p99_ms']:7.2f} ms")


if __name__ == "__main__":
    main()
