"""CPU per conversation turn, one turn at a time: steadier than turns per second on a shared machine.

    python -m bench.turn_cpu [--turns 1500] [--users 100] [--database-url URL]

100 simulated users (bench.turns) each take one turn, then `--turns` more run one after another; prints the
process's CPU time per turn (the driver's threads included), the wall time per turn and its p50 / p99.
Without --database-url on a fresh SQLite file; a PostgreSQL URL gets a scratch database of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

from app.background import settle_heap
from app.wiring import build_services
from bench.scratch import scratch_database
from bench.turns import SimulatedUser
from core.db import utcnow
from core.messages import UserRef
from core.settings import Settings

SCRATCH_DB = "bench_turn_cpu"


async def measure(url: str, data_dir: Path, turns: int, count: int) -> str:
    services = build_services(Settings(database_url=url, data_dir=data_dir, chat_messages_per_minute=0))
    services.due("P4", utcnow(), "resolution", [])  # the holiday calendar, loaded once per process
    settle_heap()
    rng = random.Random(7)
    users = [SimulatedUser(UserRef("bench", f"u{n}"), rng) for n in range(count)]
    try:
        for user in users:
            user.last = await services.engine.handle(user.next_event())
        millis: list[float] = []
        cpu, start = time.process_time(), time.perf_counter()
        for n in range(turns):
            user, began = users[n % count], time.perf_counter()
            user.last = await services.engine.handle(user.next_event())
            millis.append((time.perf_counter() - began) * 1000)
        cpu_ms = (time.process_time() - cpu) * 1000 / turns
        wall_ms = (time.perf_counter() - start) * 1000 / turns
    finally:
        await services.db.dispose()
    cuts = statistics.quantiles(millis, n=100)
    return f"cpu/turn {cpu_ms:.3f} ms, wall/turn {wall_ms:.3f} ms, p50 {cuts[49]:.2f} ms, p99 {cuts[98]:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=1500)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--database-url", help="a PostgreSQL server (a scratch database is made on it)")
    args = parser.parse_args()
    with scratch_database(args.database_url, SCRATCH_DB) as url, tempfile.TemporaryDirectory() as data_dir:
        print(asyncio.run(measure(url, Path(data_dir), args.turns, args.users)))


if __name__ == "__main__":
    main()
