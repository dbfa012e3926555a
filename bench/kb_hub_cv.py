"""Choosing the Latin route's hubness reduction (kb.matcher.Route.hub, hub_k) on a benchmark's validation rows
only, by 5-fold cross-validation: for each fold, the grid point with the best top-1 on the other four folds
(each point's top-1 averaged with its grid neighbours', so one lucky point does not win) is scored on the
fold; then the point chosen on all validation rows. The queries are never read.

Prints JSON. Run: .venv/bin/python -m bench.kb_hub_cv [/work/shared/bench/clinc150_k5_dev.json] [--out FILE]
"""

from __future__ import annotations

import argparse
import random
from dataclasses import replace
from pathlib import Path

from bench.printed import print_figures
from kb.benchfile import load_bench
from kb.encoders import load_encoders
from kb.loo import remembering
from kb.matcher import ROUTES, LexicalMatcher

KS = (1, 3, 5, 10)
SHARES = (0.0, 0.2, 0.4, 0.6, 0.8)
FOLDS = 5


def _smoothed(right: dict[tuple[int, float], list[bool]], rows: list[int]) -> dict[tuple[int, float], float]:
    share = {point: sum(hits[i] for i in rows) / len(rows) for point, hits in right.items()}
    out = {}
    for a, k in enumerate(KS):
        for b, s in enumerate(SHARES):
            near = [share[(KS[i], SHARES[j])] for i in range(max(0, a - 1), min(len(KS), a + 2))
                    for j in range(max(0, b - 1), min(len(SHARES), b + 2))]  # fmt: skip
            out[(k, s)] = sum(near) / len(near)
    return out


def _best(scores: dict[tuple[int, float], float]) -> tuple[int, float]:
    return max(scores, key=lambda point: (scores[point], -point[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("bench", type=Path, nargs="?", default=Path("/work/shared/bench/clinc150_k5_dev.json"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    bench = load_bench(args.bench)
    kb = bench.knowledge_base()
    encoders = remembering(load_encoders(1, ["minilm"]))
    cases = [c for c in bench.validation if c.expected]
    right: dict[tuple[int, float], list[bool]] = {}
    for k in KS:
        for share in SHARES:
            routes = {**ROUTES, "latin": replace(ROUTES["latin"], hub=share, hub_k=k)}
            matcher = LexicalMatcher(kb, encoders=encoders, routes=routes)
            right[(k, share)] = [bool(r) and r[0][0].id == c.expected for c in cases for r in [matcher.rank(c.text)]]
    order = list(range(len(cases)))
    random.Random(1).shuffle(order)
    folds = [order[i::FOLDS] for i in range(FOLDS)]
    per_fold: list[dict[str, object]] = []
    gains: list[float] = []
    for fold in folds:
        rest = [i for i in order if i not in set(fold)]
        point = _best(_smoothed(right, rest))
        held = {p: sum(hits[i] for i in fold) / len(fold) for p, hits in right.items()}
        per_fold.append({"chosen": point, "top1": round(held[point], 4), "top1_without": round(held[(1, 0.0)], 4)})
        gains.append(held[point] - held[(1, 0.0)])
    everything = _smoothed(right, order)
    shown = {
        "bench": bench.name,
        "validation_in_scope_rows": len(cases),
        "grid_top1": {f"k{k} share{s}": round(sum(v) / len(v), 4) for (k, s), v in right.items()},
        "folds": per_fold,
        "cv_gain": round(sum(gains) / FOLDS, 4),
        "chosen_on_all_validation": _best(everything),
    }
    print_figures(shown, args.out)


if __name__ == "__main__":
    main()
