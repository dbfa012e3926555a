"""How fast ticket search answers with many tickets: word queries (English, Odia, Hindi) and a number query.

    python -m bench.search [--tickets 100000] [--database-url URL] [--repeat 200] [--format json]

Without --database-url it runs on a fresh SQLite file; pass a PostgreSQL URL to measure that (its public
schema is dropped and recreated, so use a scratch database). Each ticket's description is a sentence drawn
from a small vocabulary in one of three scripts, and every other ticket has a message, so a common word
occurs in a few percent of the tickets (what a word search pays for is ranking all its matches). The first
page (50) of each query is timed, in process, through tickets.search.search_page. Prints figures; asserts
nothing.
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
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select, text

from bench.queue_first_page import load_tickets
from core.db import make_engine, make_sessions, sync_url, utcnow
from tickets.models import TicketMessageRow, TicketRow
from tickets.queue import QueueFilter
from tickets.search import search_page

WORDS = {
    "en": str.split("bill measurement attendance muster roll payment estimate login otp error save page slow stuck "
                    "approval wage seeker organisation project work order revised extension submit screen blank"),
    "or": str.split("ବିଲ୍ ମାପ ଉପସ୍ଥାନ ମଷ୍ଟର ରୋଲ୍ ପେମେଣ୍ଟ ମଜୁରି ଆସିନାହିଁ ଲଗଇନ୍ ତ୍ରୁଟି ସେଭ୍ ପୃଷ୍ଠା ପ୍ରକଳ୍ପ ଅନୁମୋଦନ"),
    "hi": str.split("बिल माप उपस्थिति मस्टर रोल भुगतान मजदूरी लॉगिन त्रुटि सहेजें पेज धीमा परियोजना अनुमोदन"),
}
QUERIES = {
    "word (en, common)": "measurement",
    "two words (en)": "muster payment",
    "word (or)": "ଆସିନାହିଁ",
    "word (hi)": "त्रुटि",
    "word (rare)": "zq-rare-word",
    "number": "HD-054321",
}


def _sentence(rng: random.Random, n: int) -> tuple[str, str]:
    language = rng.choice(["en", "en", "or", "hi"])
    words = rng.sample(WORDS[language], 6)
    if n % 5000 == 0:
        words.append("zq-rare-word")
    return language, " ".join(words)


def add_text(url: str, count: int) -> float:
    """Give the loaded tickets varied descriptions and every other one a message (the indexes follow)."""
    rng = random.Random(11)
    engine = create_engine(sync_url(url))
    started = time.perf_counter()
    now = utcnow()
    with engine.begin() as conn:
        updates = []
        for n in range(1, count + 1):
            language, sentence = _sentence(rng, n)
            updates.append({"id": n, "language": language, "description": sentence})
        for i in range(0, len(updates), 5000):
            conn.execute(text("UPDATE tickets SET language = :language, description = :description WHERE id = :id"),
                         updates[i:i + 5000])
        messages = [{"ticket_id": n, "at": now, "author": "meera", "kind": "reply", "text": _sentence(rng, 1)[1]}
                    for n in range(1, count + 1, 2)]
        for i in range(0, len(messages), 5000):
            conn.execute(insert(TicketMessageRow), messages[i:i + 5000])
        if url.startswith("postgresql"):
            conn.execute(text("ANALYZE tickets"))
            conn.execute(text("ANALYZE ticket_messages"))
    engine.dispose()
    return time.perf_counter() - started


async def _measure(url: str, repeat: int) -> dict[str, dict[str, Any]]:
    db = make_engine(url)
    sessions = make_sessions(db)
    results: dict[str, dict[str, Any]] = {}
    async with sessions() as session:
        tickets = int(await session.scalar(select(TicketRow.id).order_by(TicketRow.id.desc()).limit(1)) or 0)
    for name, typed in QUERIES.items():
        timings, found = [], 0
        for _ in range(repeat):
            async with sessions() as session:
                started = time.perf_counter()
                page, _ = await search_page(session, typed, QueueFilter())
                timings.append((time.perf_counter() - started) * 1000)
                found = len(page)
        timings.sort()
        results[name] = {"query": typed, "first_page": found, "tickets": tickets,
                         "p50_ms": round(statistics.median(timings), 2),
                         "p99_ms": round(timings[max(int(len(timings) * 0.99) - 1, 0)], 2)}
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
        load_s = load_tickets(url, args.tickets) + add_text(url, args.tickets)
        results = asyncio.run(_measure(url, args.repeat))
    backend = url.split(":", 1)[0]
    report = {"benchmark": "search", "backend": backend, "tickets": args.tickets, "load_s": round(load_s, 1),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "load_average": os.getloadavg()[0]},
              "results": results}
    if args.format == "json":
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    print(f"search with {args.tickets:,} tickets on {backend} (loaded in {load_s:.1f} s, "
          f"load average {os.getloadavg()[0]:.1f})")
    for name, figures in results.items():
        print(f"  {name:20} {figures['query']:>14}  first page {figures['first_page']:3}  "
              f"p50 {figures['p50_ms']:7.2f} ms   p99 {figures['p99_ms']:7.2f} ms")


if __name__ == "__main__":
    main()
