"""What one SLA sweep pass costs with many active tickets: a full pass, and a remembering pass as `run` makes.

    python -m bench.sla_sweep [--tickets 100000] [--database-url URL] [--format json]

Loads generated tickets (bench/queue_first_page.py's generator), records their SLA status as a sweep would
(so passes are steady-state), then times a full pass (`sweep` without a memo: what every pass did before), a
remembering pass's first (it reads everything) and its second, a minute later (only tickets whose status can
have changed). With --database-url naming a PostgreSQL server, a scratch database `bench_sla` is created there
and dropped afterwards. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import timedelta
from typing import Any

from bench.api_load import settle_sla
from bench.machine import machine
from bench.queue_first_page import load_tickets
from bench.scratch import scratch_database
from core.db import make_engine, make_sessions, utcnow
from core.settings import Settings
from tickets.sla import SlaPolicy
from tickets.sla_job import SweepMemo, sweep


async def _passes(url: str) -> dict[str, Any]:
    settings = Settings(database_url=url)
    policy = SlaPolicy.from_settings(settings)
    engine = make_engine(url)
    sessions = make_sessions(engine)
    memo, now, figures = SweepMemo(), utcnow(), {}
    for name, at, with_memo in [("full pass", now, None), ("remembering, first pass", now, memo),
                                ("remembering, next pass (+60 s)", now + timedelta(seconds=60), memo)]:
        started = time.perf_counter()
        result = await sweep(sessions, settings, policy, now=at, memo=with_memo)
        figures[name] = {"seconds": round(time.perf_counter() - started, 3), "checked": result.checked,
                         "changed": result.changed}
    await engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()
    at_start = machine()  # the load average before this run's own load
    with scratch_database(args.database_url, "bench_sla") as url:
        load_tickets(url, args.tickets)
        active = settle_sla(url)
        figures = asyncio.run(_passes(url))
    report = {"benchmark": "sla_sweep", "backend": url.split(":", 1)[0].split("+")[0], "tickets": args.tickets,
              "active": active, "machine": at_start, "passes": figures}
    if args.format == "json":
        print(json.dumps(report, indent=2))
        return
    print(f"{report['backend']}: {args.tickets:,} tickets, {active:,} active; "
          f"load average {at_start['load_average']}")
    for name, got in figures.items():
        print(f"  {name:32} {got['seconds']:8.3f} s  checked {got['checked']:6,}  changed {got['changed']}")


if __name__ == "__main__":
    main()
