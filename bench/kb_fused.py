"""The fused matcher on the shipped knowledge base: load time with cached entry vectors, match latency per
script (one query at a time), and the process's resident memory with every encoder loaded.

Latency per script: wall time (what a user waits) and the thread's CPU time (steadier on a shared machine),
beside the lexical-only matcher on the same queries in the same run (the baseline), for the KB's own
phrasings ("short") and for messages of four phrasings run together ("long", ~40-60 tokens: what a cap on
a query's tokens bounds). Prints JSON and never asserts.
Run: .venv/bin/python -m bench.kb_fused [--threads 2] [--cache DIR] [--out FILE]
(docs/matching.md and bench/README.md record its figures; quality comes from `helpdesk kb eval --leave-one-out`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.printed import print_figures
from kb.encoders import load_encoders
from kb.loader import KnowledgeBase, load_knowledge_base
from kb.matcher import LexicalMatcher
from kb.normalize import script_of

CONTENT = Path(__file__).resolve().parent.parent / "kb" / "content"


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _percentiles(millis: Sequence[float]) -> dict[str, float]:
    cuts = statistics.quantiles(millis, n=100, method="inclusive")
    return {"p50": round(cuts[49], 2), "p99": round(cuts[98], 2), "max": round(max(millis), 2), "n": len(millis)}


def _timed(matcher: LexicalMatcher, queries: Sequence[str]) -> dict[str, dict[str, float]]:
    """Wall and CPU milliseconds of propose() per query, after a warm-up of five."""
    for text in queries[:5]:
        matcher.propose(text + " .")
    wall, cpu = [], []
    for text in queries:
        begin, begin_cpu = time.perf_counter(), time.thread_time()
        matcher.propose(text)
        cpu.append((time.thread_time() - begin_cpu) * 1000)
        wall.append((time.perf_counter() - begin) * 1000)
    return {"wall": _percentiles(wall), "cpu": _percentiles(cpu)}


def _queries(kb: KnowledgeBase) -> dict[str, dict[str, list[str]]]:
    """Per script: the first three phrasings of each entry in each language (with " ?": not a vector the
    encoders remember), and messages of four phrasings of one script run together."""
    texts: dict[str, list[str]] = {}
    for entry in kb.entries:
        for lang in ("en", "or", "hi"):
            for text in entry.phrasings(lang)[:3]:
                texts.setdefault(script_of(text), []).append(text)
    return {
        script: {
            "short": [text + " ?" for text in found],
            "long": [" ".join(found[at : at + 4]) for at in range(len(found) - 3)],
        }
        for script, found in texts.items()
    }


def measure(threads: int, cache_dir: Path | None = None) -> dict[str, object]:
    before = _rss_mb()
    load_average = [round(x, 2) for x in os.getloadavg()]
    start = time.perf_counter()
    encoders = load_encoders(threads)
    load_encoders_s = time.perf_counter() - start
    kb = load_knowledge_base(CONTENT)
    with tempfile.TemporaryDirectory() as scratch:
        cache = cache_dir or Path(scratch)  # a given cache may hold the vectors already: then encode_kb_s is small
        start = time.perf_counter()
        LexicalMatcher(kb, encoders=encoders, cache=cache)
        encode_s = time.perf_counter() - start
        start = time.perf_counter()
        matcher = LexicalMatcher(kb, encoders=encoders, cache=cache)
        cached_load_s = time.perf_counter() - start
    lexical = LexicalMatcher(kb)
    latency: dict[str, object] = {}
    for script, kinds in _queries(kb).items():
        for kind, queries in kinds.items():
            latency[f"{script} {kind}"] = {"fused": _timed(matcher, queries), "lexical": _timed(lexical, queries)}
    return {
        "threads": threads,
        "encoders": sorted({e.name for e in encoders.all()}),
        "semantic_scripts": matcher.semantic_scripts(),
        "load_encoders_s": round(load_encoders_s, 2),
        "encode_kb_s": round(encode_s, 2),
        "kb_load_with_cached_vectors_s": round(cached_load_s, 3),
        "latency_ms": latency,
        "rss_mb": {"before": round(before, 1), "after": round(_rss_mb(), 1)},
        "load_average": {"start": load_average, "end": [round(x, 2) for x in os.getloadavg()]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--cache", type=Path, help="entry-vector cache to use (default: a fresh one)")
    parser.add_argument("--e5-tokens", type=int, help="cut e5's queries to this many tokens (default: as shipped)")
    args = parser.parse_args()
    if args.e5_tokens:
        from kb.encoders import QUERY_TOKENS

        QUERY_TOKENS["e5"] = args.e5_tokens
    figures = measure(args.threads, args.cache)
    print_figures(figures, args.out, indent=2)


if __name__ == "__main__":
    main()
