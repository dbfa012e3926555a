"""bench/results/summary.md from the JSON results beside it: the tables the README's performance section shows."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("results")
REPRODUCE = """\
```sh
make bench                      # quick runs (under 5 minutes): SQLite only unless BENCH_POSTGRES_URL is set
make bench FULL=1 BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test   # the figures below
.venv/bin/python -m bench.turns --help   # each benchmark alone: turns, api_load, memory, faq, kb_latency
```"""


def table(header: list[str], rows: Iterable[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _load(folder: Path) -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}


def machine_section(results: dict[str, dict[str, Any]]) -> list[str]:
    first = next(iter(results.values()))["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in first["packages"].items())
    lines = [f"Machine: {first['cpus']} CPUs ({first['cpu']}), {first['memory_gib']} GiB; Python {first['python']},"
             f" SQLite {first['sqlite']}; {packages}; commit {first['commit']}.", ""]
    rows = [[name, r["machine"]["date"], " / ".join(str(x) for x in r["machine"]["load_average"])]
            for name, r in results.items()]
    return lines + table(["result", "date (UTC)", "load average at start (1/5/15 min)"], rows)


def turns_section(results: dict[str, dict[str, Any]]) -> list[str]:
    rows, floors = [], []
    for _name, r in results.items():
        if r.get("benchmark") != "turns":
            continue
        for users, modes in r["users"].items():
            for mode, f in modes.items():
                rate = f" ({f['runs'][0]['offered_per_s']:.0f}/s offered)" if mode == "paced" else ""
                rows.append([r["backend"], users, mode + rate, f["turns_per_s"], f["p50_ms"], f["p99_ms"],
                             f["statements_per_turn"], f["cpu_ms_per_turn"],
                             f.get("ratio_to_upserts", {}).get("driver", "")])
        u = r["upserts_per_s"]
        floors.append([r["backend"], u["driver"], u["sqlalchemy_sync"], u["sqlalchemy_async"]])
    if not rows:
        return []
    head = ["database", "users", "run", "turns/s", "p50 ms", "p99 ms", "statements/turn", "CPU ms/turn",
            "turns/s ÷ driver upserts/s"]
    floor_head = ["database", "plain driver", "SQLAlchemy (blocking)", "SQLAlchemy asyncio (as the engine)"]
    return ["## Conversation turns (bench/turns.py)", "", *table(head, rows),
            "One-row upserts per second on the same database in the same run, one transaction each:", "",
            *table(floor_head, floors)]


def api_section(results: dict[str, dict[str, Any]]) -> list[str]:
    rows = []
    for r in results.values():
        if r.get("benchmark") != "api_load":
            continue
        for endpoint, by_connections in r["results"].items():
            for connections, f in by_connections.items():
                sweep = r.get("sla_sweep_seconds", "as shipped")
                rows.append([r["backend"], r.get("workers", 1), f"{r['tickets']:,}", sweep, endpoint, connections,
                             f["requests_per_s"], f["p50_ms"], f["p99_ms"], f["non_2xx"]])
    head = ["database", "server processes", "tickets", "SLA sweep every (s)", "request", "connections", "req/s",
            "p50 ms", "p99 ms", "non-2xx"]
    return ["## Operator API under wrk (bench/api_load.py)", "", *table(head, rows)] if rows else []


def sweep_section(results: dict[str, dict[str, Any]]) -> list[str]:
    rows = [[r["backend"], f"{r['tickets']:,}", f"{r['active']:,}", name, f["seconds"], f["checked"], f["changed"]]
            for r in results.values() if r.get("benchmark") == "sla_sweep" for name, f in r["passes"].items()]
    head = ["database", "tickets", "active", "pass", "seconds", "tickets loaded", "changed"]
    return ["## One SLA sweep pass (bench/sla_sweep.py)", "", *table(head, rows)] if rows else []


def memory_section(results: dict[str, dict[str, Any]]) -> list[str]:
    r = results.get("memory")
    if r is None:
        return []
    rows = [[name, f["peak_rss_mib"], f["ready_s"]] for name, f in r["results"].items()]
    title = "## Memory of an idle `helpdesk serve` (bench/memory.py)"
    return [title, "", *table(["knowledge base", "peak RSS MiB", "ready after s"], rows)]


def faq_section(results: dict[str, dict[str, Any]]) -> list[str]:
    r = results.get("faq")
    if r is None:
        return []
    rows = [[name, mode, m["top1"], m["top3"], m["inscope_accuracy"],
             m["oos_recall"] if m.get("oos_queries", 1) else "(none in the data)", m["overall_accuracy"],
             m["threshold"]] for name, modes in r["quality"].items() for mode, m in modes.items()]
    latency = [[mode, name, f"{kb['phrasings']:,}", kb["latency_ms"]["p50"], kb["latency_ms"]["p99"]]
               for mode, kbs in r["latency"].items() for name, kb in kbs.items()]
    quality_head = ["benchmark", "matcher", "top1", "top3", "in-scope acc", "OOS recall", "overall", "threshold"]
    return ["## FAQ matching (bench/faq.py, `helpdesk kb bench`)", "", *table(quality_head, rows),
            *table(["matcher", "knowledge base", "phrasings", "p50 ms", "p99 ms"], latency)]


def chat_latency_section(results: dict[str, dict[str, Any]]) -> list[str]:
    rows = [[r["backend"], r["replies"], r["p50_ms"], r["p95_ms"], r["max_ms"]]
            for r in results.values() if r.get("benchmark") == "chat_latency"]
    head = ["database", "replies", "p50 ms", "p95 ms", "max ms"]
    title = "## Operator reply to the web chat screen (bench/chat_latency.py)"
    return [title, "", *table(head, rows)] if rows else []


def write_summary(folder: Path = RESULTS) -> Path:
    """`folder`/summary.md from the JSON results in `folder`."""
    results = _load(folder)
    lines = ["# Benchmark results", "",
             "Figures from one shared 2-core machine on which other work ran at the same time (see the load",
             "averages): read them as orders of magnitude; every figure is the median of repeated runs.", ""]
    lines += machine_section(results) if results else ["No results yet.", ""]
    for section in (turns_section, api_section, sweep_section, memory_section, faq_section, chat_latency_section):
        lines += section(results)
    lines += ["## Reproduce", "", REPRODUCE, ""]
    path = folder / "summary.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write_summary())
