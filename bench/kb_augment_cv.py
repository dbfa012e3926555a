"""Word-dropout variants of each phrasing in the entry centroids (entry side only: no cost at query time), on a
benchmark's Latin route, chosen on validation only.

Each phrasing of three words or more is also encoded once without each of its words; an entry's centroid becomes
`(1 - s) * mean(phrasings) + s * mean(variants)`, normalised, the hub penalty recomputed from those centroids, and
the shipped fusion applied (lexical candidates from bench/kb_probe_cv.py's saved evidence, plus the 5 nearest).
A phrasing fold leaves out the held-out phrasing's variants too. Share s 0 is the shipped route (checked: the same
top-1). 5-fold cross-validation of s over the pooled validation cases (the folds of bench/kb_probe_cv.py).

Run after bench.kb_probe_cv (same --cache, its --features F.npz):
    .venv/bin/python -m bench.kb_augment_cv FILE.json --cache DIR --features F.npz [--out FILE]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np

from bench.printed import print_figures
from kb.benchfile import load_bench
from kb.encoders import FloatArray, load_encoders
from kb.matcher import ROMANISED_BELOW, ROUTES, _hubness

SHARES = (0.0, 0.25, 0.5, 0.75)
FOLDS = 5


def _unit(x: FloatArray) -> FloatArray:
    out: FloatArray = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("bench", type=Path)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--features", type=Path, required=True)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    bench = load_bench(args.bench)
    stem = f"{bench.name}-minilm"
    phrasings = [t for _, ex in bench.entries for t in ex]
    owner = np.array([e for e, (_, ex) in enumerate(bench.entries) for _ in ex])
    position = np.array([j for _, ex in bench.entries for j in range(len(ex))])
    variants: list[str] = []
    source: list[int] = []
    for i, text in enumerate(phrasings):
        words = text.split()
        if len(words) >= 3:
            for k in range(len(words)):
                variants.append(" ".join(words[:k] + words[k + 1 :]))
                source.append(i)
    src = np.array(source)
    path = args.cache / f"{stem}-dropout.npy"
    if path.exists():
        vectors: FloatArray = np.load(path)
    else:
        minilm = load_encoders(1, ["minilm"]).by_script["latin"]
        vectors = np.concatenate([minilm.passages(variants[i : i + 64]) for i in range(0, len(variants), 64)])
        np.save(path, vectors)
    plain: FloatArray = np.load(args.cache / f"{stem}-p.npy")
    queries = {"held": np.load(args.cache / f"{stem}-h.npy"), "dev": np.load(args.cache / f"{stem}-q.npy")}
    if (args.cache / f"{stem}-v.npy").exists():
        queries["validation"] = np.load(args.cache / f"{stem}-v.npy")
    saved = np.load(args.features)
    evidence: dict[str, dict[str, np.ndarray]] = {}
    for key in saved.files:
        part, name = key.split(":", 1)
        evidence.setdefault(part, {})[name] = saved[key]
    count = len(bench.entries)
    route = ROUTES["latin"]

    def hits(part: str, drop: int | None, query: FloatArray, share: float) -> np.ndarray:
        keep = position != drop if drop is not None else np.ones(len(phrasings), bool)
        sums = np.zeros((count, plain.shape[1]), np.float32)
        np.add.at(sums, owner[keep], plain[keep])
        kept = keep[src]
        extra = np.zeros_like(sums)
        np.add.at(extra, owner[src[kept]], vectors[kept])
        n_plain = np.bincount(owner[keep], minlength=count)[:, None]
        n_extra = np.maximum(np.bincount(owner[src[kept]], minlength=count)[:, None], 1)
        centroids = _unit(((1 - share) * sums / n_plain + share * extra / n_extra).astype(np.float32))
        cos = query @ centroids.T - _hubness(centroids, route.hub, route.hub_k)[None, :]
        ev = evidence[part]
        candidate = ev["lexical_candidate"].copy()
        np.put_along_axis(candidate, np.argsort(-cos, axis=1)[:, : route.nearest], True, axis=1)
        c = ev["coverage"]
        w = np.where(c < ROMANISED_BELOW, 0.0, route.weight * c)[:, None]
        fused = np.where(candidate, (1 - w) * ev["lexical"] + w * np.clip(cos, 0.0, 1.0), -1.0)
        right: np.ndarray = np.argmax(fused, axis=1) == ev["expected"]
        return right

    folds_k = sum(1 for p in evidence if p.startswith("fold"))
    pooled: dict[float, np.ndarray] = {}
    points = {}
    for share in SHARES:
        fold_hits = [hits(f"fold{j}", j, queries["held"][position == j], share) for j in range(folds_k)]
        val = hits("validation", None, queries["validation"], share) if "validation" in queries else None
        dev = hits("dev", None, queries["dev"], share)
        pooled[share] = np.concatenate([*fold_hits, *([val] if val is not None else [])])
        points[str(share)] = {
            "phrasing_folds": round(float(np.concatenate(fold_hits).mean()), 4),
            "validation_rows": None if val is None else round(float(val.mean()), 4),
            "pooled": round(float(pooled[share].mean()), 4),
            "dev_queries": round(float(dev.mean()), 4),
        }
    order = list(range(len(pooled[0.0])))
    random.Random(1).shuffle(order)
    gains = []
    for i in range(FOLDS):
        fold = np.array(order[i::FOLDS])
        rest = np.setdiff1d(np.arange(len(order)), fold)
        chosen = max(SHARES, key=lambda s: (round(float(pooled[s][rest].mean()), 6), s == 0.0))
        gains.append(round(float(pooled[chosen][fold].mean() - pooled[0.0][fold].mean()), 4))
    shown = {
        "bench": bench.name,
        "phrasings": len(phrasings),
        "variants": len(variants),
        "cv_gain_over_shipped": round(float(np.mean(gains)), 4),
        "cv_gain_per_fold": gains,
        "points_by_variant_share": points,
    }
    print_figures(shown, args.out)


if __name__ == "__main__":
    main()
