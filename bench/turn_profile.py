"""Where one conversation turn's time goes: sequential turns of a few simulated users under pyinstrument.

    python -m bench.turn_profile [--turns 2000] [--users 10] [--tree]

Runs on a fresh SQLite file with the shipped wiring (the `bench` extra installs pyinstrument). Prints the wall
time per turn and the sampled time grouped by where it was spent: SQLite itself, SQLAlchemy and its asyncio
bridge, the engine and flow, transitions, the matcher, JSON; with --tree, the call tree too. (SQLite runs in
aiosqlite's thread, a turn's Core statements through its execute_fetchall, core/db/direct.py: the first two
groups measure the hand-overs.)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pyinstrument import Profiler
from pyinstrument.frame import Frame

from app.background import settle_heap
from app.wiring import build_services
from bench.turns import Meter, SimulatedUser
from core.db import utcnow
from core.messages import UserRef
from core.settings import Settings

SQLITE3_CALLS = {f"<built-in>:{c}" for c in ("Cursor.execute", "Cursor.fetchall", "Cursor.fetchone",
                                              "Connection.commit", "Connection.rollback", "Connection.cursor",
                                              "Connection.execute")}
GROUPS: list[tuple[str, Callable[[str], bool]]] = [  # first match wins: (label, test on "file:function")
    ("event loop idle in epoll (a worker thread's answer, a timer)", lambda f: "epoll.poll" in f),
    ("SQLite itself (sqlite3: execute, fetch, commit)", lambda f: f in SQLITE3_CALLS),
    ("SQLAlchemy's asyncio bridge (greenlets, adapters)", lambda f: "aiosqlite" in f or "concurrency.py" in f
     or "greenlet" in f or "connectors/asyncio" in f),
    ("SQLAlchemy: building, compiling, executing statements, ORM", lambda f: "sqlalchemy" in f),
    ("transitions (state machine)", lambda f: "transitions" in f),
    ("FAQ matcher (kb/)", lambda f: "/kb/" in f or "rapidfuzz" in f or "Stemmer" in f),
    ("JSON encode/decode", lambda f: "json" in f or f in ("<built-in>:loads", "<built-in>:dumps")),  # orjson
    ("engine, flow, tickets, catalogs (our code)", lambda f: any(p in f for p in ("/flows/", "/tickets/", "/core/"))),
    ("asyncio event loop", lambda f: "asyncio" in f or "selectors" in f),
]


def grouped(root: Frame) -> dict[str, float]:
    totals: dict[str, float] = {}
    stack = [root]
    while stack:
        frame = stack.pop()
        stack.extend(frame.children)
        own = frame.total_self_time
        if own:
            named = frame.parent if frame.is_synthetic and frame.parent is not None else frame
            key = f"{named.file_path or ''}:{named.function or ''}"
            label = next((name for name, test in GROUPS if test(key)), "other")
            totals[label] = totals.get(label, 0.0) + own
    return totals


async def profile(turns: int, count: int, tree: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/t.db"
        services = build_services(Settings(database_url=url, data_dir=Path(tmp), chat_messages_per_minute=0))
        services.due("P4", utcnow(), "resolution", [])  # loads the holiday calendar, once per process
        settle_heap()  # as `helpdesk serve` does once started
        users = [SimulatedUser(UserRef("bench", f"u{n}"), random.Random(n)) for n in range(count)]
        meter = Meter()
        await meter.watch(services, url)
        profiler = Profiler(interval=0.001, async_mode="disabled")
        profiler.start()
        started = time.perf_counter()
        for n in range(turns):
            user = users[n % count]
            user.last = await services.engine.handle(user.next_event())
        elapsed = time.perf_counter() - started
        profiler.stop()
        await services.db.dispose()
    print(f"{turns} turns one after another: {elapsed / turns * 1000:.2f} ms per turn (with the profiler on), "
          f"{meter.statements / turns:.2f} statements per turn (BEGIN and COMMIT included: each one hand-over "
          "to aiosqlite's thread)")
    session = profiler.last_session
    root = session.root_frame() if session else None
    if root is None:
        return
    totals = grouped(root)
    whole = sum(totals.values())
    for label, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"  {seconds / whole:6.1%}  {label}")
    if tree:
        print(profiler.output_text(unicode=False, color=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--tree", action="store_true")
    args = parser.parse_args()
    asyncio.run(profile(args.turns, args.users, args.tree))


if __name__ == "__main__":
    main()
