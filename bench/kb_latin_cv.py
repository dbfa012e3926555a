"""Choosing the Latin route's semantic scoring on validation data only: the fusion weight, the share of the best
single phrasing's cosine beside the centroid's (`Route.best_share`: 0 is the centroid, 1 the nearest phrasing),
the hubness reduction, and e5 beside MiniLM, on a benchmark file.

Validation is (a) phrasing folds: each entry's j-th training phrasing taken out of it and matched against the
entries' other phrasings, j = 0..K-1 (every benchmark has these, BANKING77 too), and (b) the file's validation
rows, when it has any (5-fold cross-validation over the rows: each fold scored at the point chosen on the other
four). The queries are scored only at the end, at the point chosen on all validation data, beside the shipped
route, so the dev figures say what a choice made blind does.

Each query's evidence is computed once (lexical confidences, cosines to every phrasing) and the grid is scored
with numpy, as kb.matcher does it: candidates are the 15 lexical ones and the `nearest` entries in meaning, an
entry's cosine less its hub penalty, a query in few English words scored on lexical evidence alone.

Prints JSON. Run: .venv/bin/python -m bench.kb_latin_cv FILE.json [--e5] [--cache DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.printed import print_figures
from kb.benchfile import BenchFile, load_bench
from kb.encoders import Encoder, FloatArray, load_encoders
from kb.evaluate import Case
from kb.matcher import KNOWN_SHARE, ROMANISED_BELOW, ROUTES, LexicalMatcher, _hubness, _phrasing

WEIGHTS = (0.6, 0.7, 0.8, 0.9)
BEST_SHARES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
HUBS = (0.0, 0.4, 0.8)
E5_SHARES = (0.0, 0.2, 0.4)  # with --e5
COVERAGE_POWERS = (1.0, 0.0)  # the weight scaled by coverage ** p (p 0: not scaled, besides the romanised cut)
NEARESTS = (5, 10)
E5_FLOOR = 0.6
FOLDS = 5

Point = tuple[float, float, float, float, float, int]  # weight, best share, hub, e5 share, coverage power, nearest


@dataclass
class Evidence:
    """One set of cases against one set of phrasings: everything the grid needs."""

    lexical: FloatArray  # cases x entries (every entry's, scored exactly)
    candidate: np.ndarray  # cases x entries, lexical candidates
    coverage: FloatArray  # cases
    expected: np.ndarray  # cases: entry index
    phr_cos: FloatArray  # cases x phrasings (MiniLM)
    owners: np.ndarray  # phrasings: entry index
    known: np.ndarray  # phrasings that join MiniLM's centroid
    e5_cos: FloatArray | None  # cases x phrasings


def _encode(encoder: Encoder, texts: Sequence[str], query: bool, path: Path | None) -> FloatArray:
    if path is not None and path.exists():
        found: FloatArray = np.load(path)
        return found
    if not texts:
        return np.zeros((0, 1), np.float32)
    parts = [
        (encoder.queries if query else encoder.passages)(list(texts[i : i + 64])) for i in range(0, len(texts), 64)
    ]
    vectors = np.concatenate(parts).astype(np.float32)
    if path is not None:
        np.save(path, vectors)
    return vectors


def _evidence(
    bench: BenchFile, drop: int | None, cases: list[Case], vecs: dict[str, dict[str, FloatArray]], minilm: Encoder
) -> Evidence:
    ids = [entry_id for entry_id, _ in bench.entries]
    keep = [(e, j) for e, (_, examples) in enumerate(bench.entries) for j in range(len(examples))
            if j != drop or len(examples) == 1]  # fmt: skip
    flat_index = {
        pair: i for i, pair in enumerate((e, j) for e, (_, ex) in enumerate(bench.entries) for j in range(len(ex)))
    }
    rows = [flat_index[pair] for pair in keep]
    smaller = BenchFile(bench.name, tuple((entry_id, tuple(ex[j] for j in range(len(ex)) if j != drop or len(ex) == 1))
                                          for entry_id, ex in bench.entries), (), ())  # fmt: skip
    matcher = LexicalMatcher(smaller.knowledge_base())
    state = matcher._state
    index = state.scripts["latin"]
    assert index.entries == tuple(range(len(ids)))
    count = len(ids)
    lexical = np.zeros((len(cases), count), np.float32)
    candidate = np.zeros((len(cases), count), bool)
    for i, case in enumerate(cases):
        terms, flat = _phrasing(state.normalizer.words(case.text))
        for doc, _ in index.index.score(terms, flat):
            candidate[i, doc] = True
        for doc, score in index.index.score(terms, flat, extra=range(count)):
            lexical[i, doc] = score
    owners = np.array([e for e, _ in keep])
    texts = [bench.entries[e][1][j] for e, j in keep]
    known = np.array([minilm.coverage(t) >= KNOWN_SHARE for t in texts])
    covered = set(owners[known].tolist())
    known |= np.array([o not in covered for o in owners])
    q = vecs["minilm"]["queries"]
    e5 = vecs.get("e5")
    return Evidence(
        lexical, candidate, np.array([minilm.coverage(c.text) for c in cases], np.float32),
        np.array([ids.index(str(c.expected)) for c in cases]), q @ vecs["minilm"]["phrasings"][rows].T, owners, known,
        None if e5 is None else e5["queries"] @ e5["phrasings"][rows].T,
    )  # fmt: skip


def _ranks(ev: Evidence, centroid: FloatArray, best: FloatArray, hub_pen: dict[float, FloatArray],
           e5_sem: FloatArray | None, point: Point) -> np.ndarray:  # fmt: skip
    weight, best_share, hub, e5_share, power, nearest = point
    cos = (1 - best_share) * centroid + best_share * best
    if hub:
        cos = cos - hub_pen[hub]
    sem = np.clip(cos, 0.0, 1.0)
    if e5_sem is not None and e5_share:
        sem = (1 - e5_share) * sem + e5_share * e5_sem
    order = np.argsort(-cos, axis=1)[:, :nearest]
    cand = ev.candidate.copy()
    np.put_along_axis(cand, order, True, axis=1)
    w = np.where(ev.coverage < ROMANISED_BELOW, 0.0, weight * ev.coverage**power)[:, None]
    fused = (1 - w) * ev.lexical + w * sem
    fused = np.where(cand, fused, -1.0)
    top: np.ndarray = np.argmax(fused, axis=1)
    return top


class Grid:
    """The grid's top-1 hits on one Evidence."""

    def __init__(self, ev: Evidence, minilm_centroids: FloatArray, e5_centroid_cos: FloatArray | None,
                 centroid_cos: FloatArray, best_cos: FloatArray) -> None:  # fmt: skip
        self.ev = ev
        self.pen = {h: _hubness(minilm_centroids, h, 10)[None, :] for h in HUBS if h}
        self.e5 = None if e5_centroid_cos is None else np.clip((e5_centroid_cos - E5_FLOOR) / (1 - E5_FLOOR), 0, 1)
        self.centroid = centroid_cos
        self.best = best_cos

    def hits(self, point: Point) -> np.ndarray:
        right: np.ndarray = _ranks(self.ev, self.centroid, self.best, self.pen, self.e5, point) == self.ev.expected
        return right


def _grid(ev: Evidence, phr_vecs: FloatArray, e5_phr: FloatArray | None, count: int) -> Grid:
    sums = np.zeros((count, phr_vecs.shape[1]), np.float32)
    np.add.at(sums, ev.owners[ev.known], phr_vecs[ev.known])
    centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    # the query's cosine to a centroid is the sum of its cosines to the phrasings over the sum's norm
    csum = np.zeros((len(ev.expected), count), np.float32)
    np.add.at(csum.T, ev.owners[ev.known], ev.phr_cos[:, ev.known].T)
    centroid_cos = csum / np.maximum(np.linalg.norm(sums, axis=1), 1e-12)[None, :]
    best = np.full((len(ev.expected), count), -1.0, np.float32)
    for e in range(count):
        mine = (ev.owners == e) & ev.known
        best[:, e] = ev.phr_cos[:, mine].max(axis=1)
    e5_cc = None
    if e5_phr is not None and ev.e5_cos is not None:
        esum = np.zeros((count, e5_phr.shape[1]), np.float32)
        np.add.at(esum, ev.owners, e5_phr)
        ecs = np.zeros((len(ev.expected), count), np.float32)
        np.add.at(ecs.T, ev.owners, ev.e5_cos.T)
        e5_cc = ecs / np.maximum(np.linalg.norm(esum, axis=1), 1e-12)[None, :]
    return Grid(ev, centroids, e5_cc, centroid_cos, best)


def _smoothed(hits: dict[Point, np.ndarray], rows: np.ndarray) -> dict[Point, float]:
    """Each point's top-1 on `rows`, averaged with its neighbours' in weight and best share (one lucky point
    does not win)."""
    share = {p: float(h[rows].mean()) for p, h in hits.items()}
    out = {}
    for p in hits:
        w, b, h, e, c, n = p
        i, j = WEIGHTS.index(w), BEST_SHARES.index(b)
        near = [share[(WEIGHTS[a], BEST_SHARES[x], h, e, c, n)] for a in range(max(0, i - 1), min(len(WEIGHTS), i + 2))
                for x in range(max(0, j - 1), min(len(BEST_SHARES), j + 2))]  # fmt: skip
        out[p] = sum(near) / len(near)
    return out


def _best(scores: dict[Point, float], shipped: Point) -> Point:
    # ties: the shipped point, then the smaller best share, hub and e5 share
    return max(scores, key=lambda p: (round(scores[p], 6), p == shipped, -p[3], -p[1], -p[2], p[4], -p[5]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("bench", type=Path)
    parser.add_argument("--e5", action="store_true", help="also try e5 beside MiniLM")
    parser.add_argument("--cache", type=Path, help="keep the encoded texts here")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    bench = load_bench(args.bench)
    wanted = ["minilm", "e5"] if args.e5 else ["minilm"]
    loaded = load_encoders(1, wanted)
    encoders = {"minilm": loaded.by_script["latin"]}
    if args.e5:
        encoders["e5"] = loaded.by_script["odia"]
    phrasings = [t for _, ex in bench.entries for t in ex]
    validation = [c for c in bench.validation if c.expected]
    queries = [c for c in bench.queries if c.expected]
    held = [Case(ex[j], entry_id) for entry_id, ex in bench.entries for j in range(len(ex))]
    texts = {"phrasings": phrasings, "validation": [c.text for c in validation], "queries": [c.text for c in queries],
             "held": [c.text for c in held]}  # fmt: skip
    if args.cache:
        args.cache.mkdir(parents=True, exist_ok=True)
    vecs: dict[str, dict[str, FloatArray]] = {}
    for name, encoder in encoders.items():
        stem = f"{bench.name}-{name}"
        vecs[name] = {
            "phrasings": _encode(encoder, phrasings, False, args.cache and args.cache / f"{stem}-p.npy"),
            "validation": _encode(encoder, texts["validation"], True, args.cache and args.cache / f"{stem}-v.npy"),
            "queries": _encode(encoder, texts["queries"], True, args.cache and args.cache / f"{stem}-q.npy"),
            "held": _encode(encoder, phrasings, True, args.cache and args.cache / f"{stem}-h.npy"),
        }
    count = len(bench.entries)
    points = list(
        itertools.product(WEIGHTS, BEST_SHARES, HUBS, E5_SHARES if args.e5 else (0.0,), COVERAGE_POWERS, NEARESTS)
    )
    route = ROUTES["latin"]
    shipped: Point = (route.weight, route.best_share, route.hub, 0.0, 1.0, route.nearest)

    def grid_for(
        drop: int | None, cases: list[Case], key: str, rows: list[int] | None = None
    ) -> dict[Point, np.ndarray]:
        sub = {
            n: {"queries": v[key] if rows is None else v[key][rows], "phrasings": v["phrasings"]}
            for n, v in vecs.items()
        }
        ev = _evidence(bench, drop, cases, sub, encoders["minilm"])
        flat = [(j, len(ex)) for _, ex in bench.entries for j in range(len(ex))]
        keep = [i for i, (j, size) in enumerate(flat) if j != drop or size == 1]
        grid = _grid(
            ev, vecs["minilm"]["phrasings"][keep], vecs["e5"]["phrasings"][keep] if "e5" in vecs else None, count
        )
        return {p: grid.hits(p) for p in points}

    # (a) phrasing folds
    k = min(len(ex) for _, ex in bench.entries)
    fold_hits: list[dict[Point, np.ndarray]] = []
    for j in range(k):
        rows = []
        flat = 0
        for _, ex in bench.entries:
            if j < len(ex):
                rows.append(flat + j)
            flat += len(ex)
        cases = [held[r] for r in rows]
        fold_hits.append(grid_for(j, cases, "held", rows))
    phrasing_hits = {p: np.concatenate([f[p] for f in fold_hits]) for p in points}
    # (b) validation rows
    val_hits = grid_for(None, validation, "validation") if validation else {}
    pooled = {p: np.concatenate([phrasing_hits[p], val_hits[p]]) if val_hits else phrasing_hits[p] for p in points}
    # cross-validation of the choice: folds over the pooled validation cases
    order = np.arange(len(pooled[points[0]]))
    random.Random(1).shuffle(order_list := order.tolist())
    folds = [np.array(order_list[i::FOLDS]) for i in range(FOLDS)]
    per_fold = []
    for fold in folds:
        rest = np.setdiff1d(order, fold)
        point = _best(_smoothed(pooled, rest), shipped)
        per_fold.append({"chosen": point, "top1": round(float(pooled[point][fold].mean()), 4),
                         "top1_shipped": round(float(pooled[shipped][fold].mean()), 4)})  # fmt: skip
    chosen = _best(_smoothed(pooled, order), shipped)
    dev = grid_for(None, queries, "queries")

    def show(hits: dict[Point, np.ndarray], p: Point) -> float:
        return round(float(hits[p].mean()), 4)

    reference: list[Point] = [shipped, (route.weight, 0.0, 0.0, 0.0, 1.0, route.nearest), chosen]
    shown = {
        "bench": bench.name,
        "validation": {"phrasing_fold_cases": len(phrasing_hits[shipped]), "validation_rows_in_scope": len(validation)},
        "cv_folds": per_fold,
        "cv_gain_over_shipped": round(float(np.mean([f["top1"] - f["top1_shipped"] for f in per_fold])), 4),  # type: ignore[operator]
        "chosen_on_all_validation": chosen,
        "points": {
            str(p): {
                "phrasing_folds": show(phrasing_hits, p),
                "validation_rows": show(val_hits, p) if val_hits else None,
                "dev_queries": show(dev, p),
            }
            for p in reference
        },
        "grid_pooled_validation": {str(p): show(pooled, p) for p in points},
    }
    print_figures(shown, args.out)


if __name__ == "__main__":
    main()
