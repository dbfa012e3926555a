"""FAQ matching quality at 1, 5 and 10 phrasings per entry, and match latency at 750 and 50,000 phrasings.

    python -m bench.faq [--bench-dir /work/shared/bench] [--phrasings 1 5 10] [--vectors PATH] [--format json]

Quality: `helpdesk kb bench` (its metrics: top1, top3, in-scope accuracy, OOS recall, overall accuracy) over
files built from the raw train splits in the shared bench folder (see its README):
- CLINC150: entries = the first K train utterances per intent; validation and queries as in clinc150_k5_dev.json
  (from the validation split, with out-of-scope rows), so only K changes;
- BANKING77: entries = the first K train rows per intent; queries = train rows 11-20 per intent (held out from
  every K up to 10); no validation rows and no out-of-scope queries.
Each file runs lexical-only and, when a static vector table exists (`make vectors`), with vectors.
Latency: bench/kb_latency.py's two knowledge bases (CLINC150 K=5: 750 phrasings; generated: 10,000 entries x 5
phrasings = 50,000), one query at a time after loading. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.kb_latency import measure_clinc, measure_generated
from bench.machine import machine
from core.settings import Settings
from kb.semantic import DEFAULT_FILE, load_vectors

HELPDESK = str(Path(sys.executable).with_name("helpdesk"))
BANKING_QUERIES = slice(10, 20)


def clinc_variant(folder: Path, k: int) -> dict[str, Any]:
    train = json.loads((folder / "clinc150" / "train.json").read_text(encoding="utf-8"))["in_scope"]
    examples: dict[str, list[str]] = defaultdict(list)
    for text, intent in train:
        examples[intent].append(text)
    shared = json.loads((folder / "clinc150_k5_dev.json").read_text(encoding="utf-8"))
    return {"name": f"clinc150-k{k}", "validation": shared["validation"], "queries": shared["queries"],
            "entries": [{"id": intent, "examples": texts[:k]} for intent, texts in examples.items()]}


def banking_variant(folder: Path, k: int) -> dict[str, Any]:
    examples: dict[str, list[str]] = defaultdict(list)
    with (folder / "banking77" / "train.csv").open(encoding="utf-8", newline="") as rows:
        for row in csv.DictReader(rows):
            examples[row["category"]].append(row["text"])
    queries = [{"text": t, "expected": c} for c, texts in examples.items() for t in texts[BANKING_QUERIES]]
    return {"name": f"banking77-k{k}", "queries": queries,
            "entries": [{"id": c, "examples": texts[:k]} for c, texts in examples.items()]}


def kb_bench(path: Path, vectors: Path | None) -> dict[str, Any]:
    """`helpdesk kb bench` on one file, as a user runs it."""
    options = ["--vectors", str(vectors)] if vectors else ["--lexical-only"]
    out = subprocess.run([HELPDESK, "kb", "bench", str(path), "--format", "json", *options],
                         capture_output=True, text=True, check=True).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def quality(folder: Path, ks: list[int], vectors: Path | None, work: Path) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for dataset, build in (("clinc150", clinc_variant), ("banking77", banking_variant)):
        for k in ks:
            path = work / f"{dataset}-k{k}.json"
            path.write_text(json.dumps(build(folder, k)), encoding="utf-8")
            out_of_scope = sum(q["expected"] is None for q in json.loads(path.read_text(encoding="utf-8"))["queries"])
            modes = {"lexical": kb_bench(path, None) | {"oos_queries": out_of_scope}}
            if vectors is not None:
                modes["lexical + vectors"] = kb_bench(path, vectors) | {"oos_queries": out_of_scope}
            results[f"{dataset} K={k}"] = modes
    return results


def latency(vectors: Path | None, generated: int) -> dict[str, Any]:
    table = load_vectors(vectors)
    results = {"lexical": {"clinc150 K=5": measure_clinc(), "generated": measure_generated(count=generated)}}
    if table is not None:
        results["lexical + vectors"] = {"clinc150 K=5": measure_clinc(table),
                                        "generated": measure_generated(count=generated, vectors=table)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench-dir", type=Path, default=Path("/work/shared/bench"))
    parser.add_argument("--phrasings", type=int, nargs="+", default=[1, 5, 10])
    parser.add_argument("--generated", type=int, default=10_000, help="entries of the generated KB (x 5 phrasings)")
    parser.add_argument("--vectors", type=Path, help="static vector table (default: the data folder's, if built)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()
    vectors = args.vectors or Settings().data_dir / DEFAULT_FILE
    vectors = vectors if vectors.exists() else None
    with tempfile.TemporaryDirectory() as work:
        report: dict[str, Any] = {
            "benchmark": "faq", "vectors": str(vectors) if vectors else None, "machine": machine(),
            "quality": quality(args.bench_dir, args.phrasings, vectors, Path(work)),
            "latency": latency(vectors, args.generated),
        }
    if args.format == "json":
        print(json.dumps(report, indent=2))
        return
    for name, modes in report["quality"].items():
        for mode, m in modes.items():
            print(f"  {name:16} {mode:18} top1 {m['top1']:.3f}  in-scope acc {m['inscope_accuracy']:.3f}"
                  f"  OOS recall {m['oos_recall']:.3f}  overall {m['overall_accuracy']:.3f}")
    for mode, kbs in report["latency"].items():
        for name, figures in kbs.items():
            print(f"  latency {mode:18} {name:14} {figures['phrasings']:>6} phrasings  {figures['latency_ms']}")


if __name__ == "__main__":
    main()
