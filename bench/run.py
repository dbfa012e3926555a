"""Run every benchmark (quick by default, --full for the README's figures), then write the summary.

    python -m bench.run [--full] [--postgres postgresql://postgres@127.0.0.1:5432/test] [--only turns api_load]

Each benchmark runs as its own process and writes <name>[-<backend>].json, then summary.md is rebuilt from every
JSON file beside it (bench/summary.py): in bench/results/ for the full runs (the README's figures, committed),
in bench/results/quick/ for the quick ones. `make bench` / `make bench FULL=1` call this.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from bench.summary import RESULTS, write_summary

QUICK: dict[str, list[str]] = {
    "turns": ["--users", "10", "100", "--seconds", "2", "--repeat", "2"],
    "api_load": ["--tickets", "20000", "--connections", "10", "--seconds", "3", "--repeat", "2", "--workers", "2"],
    "memory": ["--idle", "2"],
    "faq": ["--phrasings", "5"],
    "sla_sweep": ["--tickets", "20000"],
    "chat_latency": ["--replies", "20"],
}
FULL: dict[str, list[str]] = {
    "turns": ["--users", "10", "100", "1000", "--seconds", "3", "--repeat", "3"],
    # `helpdesk serve --workers 2`: a process per core, as on this 2-core machine one would run it
    "api_load": ["--tickets", "100000", "--connections", "1", "10", "50", "--seconds", "5", "--repeat", "3",
                 "--workers", "2"],
    "memory": ["--idle", "5"],
    "faq": ["--phrasings", "1", "5", "10"],
    "sla_sweep": ["--tickets", "100000"],
    "chat_latency": ["--replies", "20"],
}
ON_POSTGRES = ("turns", "api_load", "sla_sweep", "chat_latency")


def run(name: str, options: list[str], out: Path) -> None:
    started = time.monotonic()
    print(f"bench: {name} {' '.join(options)}", flush=True)
    with out.open("w", encoding="utf-8") as result:
        subprocess.run([sys.executable, "-m", f"bench.{name}", *options, "--format", "json"], stdout=result,
                       check=True)
    print(f"bench: {name} done in {time.monotonic() - started:.0f} s -> {out}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="the full runs (30-60 minutes) instead of quick ones")
    parser.add_argument("--postgres", help="a PostgreSQL server to measure turns and the API on as well")
    parser.add_argument("--only", nargs="+", choices=sorted(QUICK), help="run only these benchmarks")
    args = parser.parse_args()
    plan = FULL if args.full else QUICK
    folder = RESULTS if args.full else RESULTS / "quick"
    folder.mkdir(parents=True, exist_ok=True)
    for name in args.only or plan:
        run(name, plan[name], folder / (f"{name}-sqlite.json" if name in ON_POSTGRES else f"{name}.json"))
        if args.postgres and name in ON_POSTGRES:
            run(name, [*plan[name], "--database-url", args.postgres], folder / f"{name}-postgresql.json")
    print(f"bench: summary -> {write_summary(folder)}")


if __name__ == "__main__":
    main()
