"""Matcher latency and load time: the CLINC150 knowledge base and a generated one of 10,000 entries.

Prints figures and never asserts. Run: .venv/bin/python bench/kb_latency.py [--format json] [--vectors PATH]
(with a static vector table from `helpdesk kb build-vectors`, its load time is reported apart).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import yaml

from kb.benchfile import load_bench
from kb.loader import load_knowledge_base
from kb.matcher import LexicalMatcher
from kb.semantic import StaticVectors, load_vectors
from kb.synthetic import generated_entries

CLINC = Path("/work/shared/bench/clinc150_k5_dev.json")


def _percentiles(millis: Sequence[float]) -> dict[str, float]:
    cuts = statistics.quantiles(millis, n=100, method="inclusive")
    return {"p50": round(cuts[49], 3), "p99": round(cuts[98], 3), "max": round(max(millis), 3)}


def _time_queries(matcher: LexicalMatcher, queries: Sequence[str]) -> dict[str, float]:
    millis = []
    for text in queries:
        start = time.perf_counter()
        matcher.match(text)
        millis.append((time.perf_counter() - start) * 1000)
    return _percentiles(millis)


def measure_generated(
    count: int = 10_000, phrasings: int = 5, queries: int = 2_000, vectors: StaticVectors | None = None
) -> dict[str, object]:
    entries = generated_entries(count, phrasings)
    with tempfile.TemporaryDirectory() as tmp:
        content = Path(tmp) / "content"
        content.mkdir()
        for part in range(10):
            chunk = {"entries": entries[part::10]}
            (content / f"part{part}.yaml").write_text(yaml.safe_dump(chunk, allow_unicode=True), encoding="utf-8")
        start = time.perf_counter()
        kb = load_knowledge_base(content)
        read = time.perf_counter() - start
        matcher = LexicalMatcher.from_knowledge_base(kb, vectors=vectors)
        total = time.perf_counter() - start
    rng = random.Random(11)
    texts = [str(rng.choice(entries)["question"]) for _ in range(queries)]
    texts = [" ".join(rng.sample(t.split(), 5)) for t in texts]  # partial, reordered phrasings
    return {
        "entries": count,
        "phrasings": count * phrasings,
        "load_s": {"read_and_validate": round(read, 3), "index": round(total - read, 3), "total": round(total, 3)},
        "latency_ms": _time_queries(matcher, texts),
    }


def measure_clinc(vectors: StaticVectors | None = None) -> dict[str, object]:
    bench = load_bench(CLINC)
    start = time.perf_counter()
    matcher = LexicalMatcher.from_knowledge_base(bench.knowledge_base(), vectors=vectors)
    index_s = time.perf_counter() - start
    texts = [case.text for case in bench.queries]
    phrasings = sum(len(examples) for _, examples in bench.entries)
    return {
        "entries": len(bench.entries),
        "phrasings": phrasings,
        "load_s": {"index": round(index_s, 3)},
        "latency_ms": _time_queries(matcher, texts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--vectors", type=Path, default=None, help="a static vector table to fuse")
    args = parser.parse_args()
    start = time.perf_counter()
    vectors = load_vectors(args.vectors)
    figures: dict[str, object] = {"vectors_load_s": round(time.perf_counter() - start, 3) if vectors else None}
    figures["clinc150"] = measure_clinc(vectors) if CLINC.exists() else None
    figures["generated"] = measure_generated(vectors=vectors)
    if args.format == "json":
        print(json.dumps(figures, indent=2))
        return
    for name, result in figures.items():
        print(f"{name}: {result}")


if __name__ == "__main__":
    main()
