"""Conversation turns: N simulated users talking to the engine, every turn saved durably before it returns.

    python -m bench.turns [--users 10 100 1000] [--database-url URL] [--seconds 5] [--rate 1000] [--repeat 3]
                          [--format json]

Each simulated user walks the real flow (the shipped knowledge base, catalogs and wiring): it answers a menu
with one of the offered options at random and otherwise types a problem, some of which the FAQ answers.
Every event carries a channel message id, as Telegram's do, so each turn also records it for deduplication.

Two runs per N, one process, one event loop:
- `paced`: turns arrive at a fixed total rate (`--rate`, spread over the users; a user whose previous turn is
  still running queues behind it); latency is counted from the moment the turn was due, so queueing counts.
- `flat out`: every user sends its next turn as soon as the last one answered; gives the most turns/s.

In the same run, on the same database, the floor: one-row upserts of a conversation-sized JSON row, one
transaction each, through the plain driver (sqlite3 / psycopg) and through our stack (SQLAlchemy asyncio).
Without --database-url it runs on a fresh SQLite file; a PostgreSQL URL names a server on which a scratch
database `bench_turns` is created and dropped afterwards. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from app.background import settle_heap
from app.wiring import Services, build_services
from bench.machine import machine
from bench.scratch import scratch_database
from core.db import is_sqlite, make_blocking_engine, utcnow
from core.messages import Inbound, Reply, UserRef
from core.settings import Settings

PROBLEMS = [
    "I forgot my password",
    "the OTP does not arrive on my phone",
    "bill page shows an error when I save",
    "measurement book will not submit",
    "attendance of wage seekers is not saving",
    "app crashes when I upload a photo",
    "how do I create a work order",
    "estimate approval is stuck",
    "payment to the CBO failed",
    "the app is very slow today",
]
SCRATCH_DB = "bench_turns"


@dataclass
class SimulatedUser:
    """Answers whatever the bot last asked: a random offered option, or a problem in words."""

    ref: UserRef
    rng: random.Random
    last: list[Reply] = field(default_factory=list)
    sent: int = 0

    def next_event(self) -> Inbound:
        self.sent += 1
        key = f"{self.ref.user_id}-{self.sent}"
        choices = [c for r in self.last for c in r.choices]
        if choices and self.rng.random() < 0.95:
            return Inbound(self.ref, choice=self.rng.choice(choices).id, message_id=key)
        return Inbound(self.ref, text=self.rng.choice(PROBLEMS), message_id=key)


def percentiles(millis: Sequence[float]) -> dict[str, float]:
    cuts = statistics.quantiles(millis, n=100, method="inclusive")
    return {"p50_ms": round(cuts[49], 2), "p99_ms": round(cuts[98], 2), "max_ms": round(max(millis), 2)}


async def _turn(services: Services, user: SimulatedUser, due: float, millis: list[float]) -> None:
    user.last = await services.engine.handle(user.next_event())
    millis.append((time.perf_counter() - due) * 1000)


@dataclass
class Meter:
    """Statements sent to the database and CPU time used, to report per turn (steadier than wall time on a
    shared machine)."""

    statements: int = 0

    async def watch(self, services: Services, url: str) -> None:
        """On SQLite every statement the database runs (its trace callback, set through aiosqlite's public API
        on each new connection: BEGIN IMMEDIATE and COMMIT included, each a hand-over to aiosqlite's thread);
        on PostgreSQL the statements sent through SQLAlchemy (COMMIT not counted)."""
        if not is_sqlite(url):
            event.listen(services.db.sync_engine, "before_cursor_execute", self._count)
            return
        event.listen(services.db.sync_engine, "connect", self._trace)
        await services.db.dispose()  # the pool's connections are made again, traced

    def _trace(self, dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.run_async(lambda aio: aio.set_trace_callback(self._count))

    def _count(self, *_: Any) -> None:
        self.statements += 1

    @contextmanager
    def per_turn(self, into: dict[str, Any]) -> Iterator[None]:
        statements, cpu = self.statements, time.process_time()
        yield
        turns = max(int(into["turns"]), 1)
        into["statements_per_turn"] = round((self.statements - statements) / turns, 2)
        into["cpu_ms_per_turn"] = round((time.process_time() - cpu) * 1000 / turns, 3)


async def run_paced(
    services: Services, users: list[SimulatedUser], rate: float, seconds: float
) -> dict[str, Any]:
    """Turns due at `rate` per second in total, round robin over the users, for `seconds`. With two turns per
    user (200 at most) in flight the next waits for the oldest: the offered rate is then not sustained, and
    turns/s says so."""
    backlog = min(2 * len(users), 200)
    millis: list[float] = []
    tasks: list[asyncio.Task[None]] = []
    chains: dict[int, asyncio.Task[None]] = {}
    start = time.perf_counter()
    total = int(rate * seconds)  # at most

    async def after(previous: asyncio.Task[None] | None, user: SimulatedUser, due: float) -> None:
        if previous is not None:
            await previous  # one user's turns in order, as a channel delivers them
        await _turn(services, user, due, millis)

    for n in range(total):
        if time.perf_counter() - start > seconds:
            break
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if n >= backlog:
            await tasks[n - backlog]
        index = n % len(users)
        task = asyncio.create_task(after(chains.get(index), users[index], due))
        chains[index] = task
        tasks.append(task)
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    return {"offered_per_s": rate, "turns": len(tasks), "turns_per_s": round(len(tasks) / elapsed, 1),
            **percentiles(millis)}


async def run_flat_out(services: Services, users: list[SimulatedUser], seconds: float) -> dict[str, Any]:
    millis: list[float] = []
    stop = time.perf_counter() + seconds

    async def talk(user: SimulatedUser) -> None:
        while time.perf_counter() < stop:
            await _turn(services, user, time.perf_counter(), millis)
            # the next message comes in through the loop, as from a socket: a turn that never had to wait
            # (nothing to read from the database's thread) would otherwise let one user talk alone
            await asyncio.sleep(0)

    start = time.perf_counter()
    await asyncio.gather(*(talk(u) for u in users))
    elapsed = time.perf_counter() - start
    return {"turns": len(millis), "turns_per_s": round(len(millis) / elapsed, 1), **percentiles(millis)}


PAYLOAD = json.dumps({"profile": {"language": "en", "role": "junior_engineer", "ulb": "od.jatni"},
                      "transcript": [{"at": "2026-01-01T00:00:00", "from": "bot", "text": "x" * 80}] * 12})


def upsert_sql(url: str) -> tuple[str, str]:
    json_type = "TEXT" if is_sqlite(url) else "JSONB"
    create = f"CREATE TABLE IF NOT EXISTS bench_upsert (id INTEGER PRIMARY KEY, data {json_type}, n INTEGER)"
    upsert = ("INSERT INTO bench_upsert (id, data, n) VALUES (:id, :data, 0) "
              "ON CONFLICT (id) DO UPDATE SET data = excluded.data, n = bench_upsert.n + 1")
    return create, upsert


def raw_upserts(url: str, seconds: float) -> float:
    """Upserts per second through the plain driver (sqlite3 / psycopg: the blocking engine's own connection,
    with the shipped pragmas), one transaction each."""
    create, upsert = upsert_sql(url)
    engine = make_blocking_engine(url)
    rng, count = random.Random(3), 0
    try:
        with engine.begin() as conn:
            conn.execute(text(create))
        pooled = engine.raw_connection()
        driver: Any = pooled.driver_connection
        # sqlite3 is left in autocommit by the pragmas (the shipped BEGIN IMMEDIATE is said here); psycopg begins
        # on its own; sqlite3 takes :name parameters, psycopg %(name)s
        begin = "BEGIN IMMEDIATE" if is_sqlite(url) else None
        statement = upsert if is_sqlite(url) else upsert.replace(":id", "%(id)s").replace(":data", "%(data)s")
        cursor = driver.cursor()
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            if begin:
                cursor.execute(begin)
            cursor.execute(statement, {"id": rng.randint(1, 1000), "data": PAYLOAD})
            driver.commit()
            count += 1
        elapsed = time.perf_counter() - start
        cursor.close()
        pooled.close()
    finally:
        engine.dispose()
    return count / elapsed


def sync_stack_upserts(url: str, seconds: float) -> float:
    """The same upserts through SQLAlchemy with its blocking driver: the asyncio layer's share, by difference."""
    create, upsert = upsert_sql(url)
    engine = make_blocking_engine(url)
    rng, count = random.Random(3), 0
    with engine.begin() as conn:
        conn.execute(text(create))
    statement = text(upsert)
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        with engine.begin() as conn:
            conn.execute(statement, {"id": rng.randint(1, 1000), "data": PAYLOAD})
        count += 1
    engine.dispose()
    return count / (time.perf_counter() - start)


async def stack_upserts(services: Services, url: str, seconds: float) -> float:
    """The same upserts through SQLAlchemy asyncio on the engine the product uses (pool, pragmas)."""
    create, upsert = upsert_sql(url)
    rng = random.Random(3)
    async with services.sessions() as session, session.begin():
        await session.execute(text(create))
    statement = text(upsert)
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        async with services.sessions() as session, session.begin():
            await session.execute(statement, {"id": rng.randint(1, 1000), "data": PAYLOAD})
        count += 1
    return count / (time.perf_counter() - start)


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("turns_per_s", "p50_ms", "p99_ms", "statements_per_turn", "cpu_ms_per_turn")
    return {k: round(statistics.median(r[k] for r in runs), 2) for k in keys} | {"runs": runs}


async def measure_users(services: Services, meter: Meter, count: int, args: argparse.Namespace) -> dict[str, Any]:
    """Both runs for `count` users, `args.repeat` times each (the users carry on where they were)."""
    rng = random.Random(count)
    users = [SimulatedUser(UserRef("bench", f"u{count}-{n}"), rng) for n in range(count)]
    paced_runs, flat_runs = [], []
    for _ in range(args.repeat):
        paced: dict[str, Any] = {}
        with meter.per_turn(paced):
            paced.update(await run_paced(services, users, args.rate, args.seconds))
        paced_runs.append(paced)
        flat: dict[str, Any] = {}
        with meter.per_turn(flat):
            flat.update(await run_flat_out(services, users, args.seconds))
        flat_runs.append(flat)
    return {"paced": median_of(paced_runs), "flat_out": median_of(flat_runs)}


async def measure(url: str, data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    services = build_services(Settings(database_url=url, data_dir=data_dir, chat_messages_per_minute=0))
    # The first ticket a process files loads the holiday calendar (~0.2 s, and ~17 MiB that an idle server
    # does without): done here, before measuring, as it is once per process and not per turn
    services.due("P4", utcnow(), "resolution", [])
    # A fresh data folder has no entry vectors: the matcher encodes the KB in the background (~20 s of a
    # core), which would share the CPU with the turns measured. Measured after it, as a server up a while.
    await asyncio.to_thread(services.matcher.wait_encoded)
    settle_heap()  # as `helpdesk serve` does once started (app.background.running)
    meter = Meter()
    await meter.watch(services, url)
    results: dict[str, Any] = {}
    try:
        for count in args.users:
            results[str(count)] = await measure_users(services, meter, count, args)
        stack = [await stack_upserts(services, url, args.seconds) for _ in range(args.repeat)]
    finally:
        await services.db.dispose()
    raw = [raw_upserts(url, args.seconds) for _ in range(args.repeat)]
    sync_stack = [sync_stack_upserts(url, args.seconds) for _ in range(args.repeat)]
    upserts = {"driver": statistics.median(raw), "sqlalchemy_sync": statistics.median(sync_stack),
               "sqlalchemy_async": statistics.median(stack)}
    for figures in results.values():
        turns = figures["flat_out"]["turns_per_s"]
        figures["flat_out"]["ratio_to_upserts"] = {k: round(turns / v, 4) for k, v in upserts.items()}
    return {"users": results, "upserts_per_s": {k: round(v, 1) for k, v in upserts.items()},
            "upsert_runs": {"driver": raw, "sqlalchemy_sync": sync_stack, "sqlalchemy_async": stack}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--database-url", help="a PostgreSQL server (a scratch database is made on it)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each run")
    parser.add_argument("--rate", type=float, default=1000.0, help="turns per second offered in the paced run")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (medians reported)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()
    with scratch_database(args.database_url, SCRATCH_DB) as url, tempfile.TemporaryDirectory() as data_dir:
        report = asyncio.run(measure(url, Path(data_dir), args))
    backend = "sqlite (WAL, synchronous=NORMAL)" if is_sqlite(url) else "postgresql"
    report = {"benchmark": "turns", "backend": backend, "seconds": args.seconds, "repeat": args.repeat,
              "machine": machine(), **report}
    if args.format == "json":
        print(json.dumps(report, indent=2))
        return
    print(f"conversation turns on {backend} (medians of {args.repeat} runs)")
    for count, runs in report["users"].items():
        for mode, figures in runs.items():
            print(f"  {count:>5} users {mode:9} {figures['turns_per_s']:8.1f} turns/s   p50 {figures['p50_ms']:7.2f} ms"
                  f"   p99 {figures['p99_ms']:7.2f} ms")
    print(f"  upserts/s (medians of {args.repeat} runs): {report['upserts_per_s']}")


if __name__ == "__main__":
    main()
