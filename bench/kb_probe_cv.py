"""Extra semantic evidence beside MiniLM's centroid cosine on a benchmark's Latin route, chosen on validation only:
(a) a linear probe (ridge regression to one-hot targets, or softmax regression) over the MiniLM vectors of the
entries' phrasings, (b) late interaction (ColBERT-like MaxSim) over MiniLM's token vectors from the same forward
pass. Each is mixed into the semantic score: sem = (1 - a) * clip(cos - hub) + a * extra.

Validation as bench/kb_latin_cv.py: phrasing folds (each entry's j-th phrasing against the others; the probe is
trained without it) and the file's in-scope validation rows; 5-fold cross-validation of the choice over the pooled
cases (each fold scored at the point chosen on the other four). The dev queries are scored only to report.

Prints JSON. Run: .venv/bin/python -m bench.kb_probe_cv FILE.json --cache DIR [--out FILE]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from bench.kb_latin_cv import Evidence, _encode, _evidence, _grid
from bench.printed import print_figures
from kb.benchfile import load_bench
from kb.encoders import FloatArray, MiniLm, load_encoders
from kb.evaluate import Case
from kb.matcher import ROMANISED_BELOW, ROUTES

FOLDS = 5
SHARES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)


def _tokens(encoder: MiniLm, texts: Sequence[str], path: Path | None) -> tuple[FloatArray, np.ndarray]:
    """Every text's unit token vectors (special tokens and padding left out), stacked, and each text's offset."""
    if path is not None and path.exists():
        data = np.load(path)
        return data["vectors"], data["offsets"]
    if not texts:
        return np.zeros((0, 384), np.float32), np.zeros(1, np.int64)
    vectors: list[FloatArray] = []
    offsets = [0]
    tokenizer = encoder._short
    for start in range(0, len(texts), 64):
        encodings = tokenizer.encode_batch(list(texts[start : start + 64]))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden: Any = encoder._session.run(None, feeds)[0]
        for row, encoding in enumerate(encodings):
            pairs = zip(encoding.attention_mask, encoding.special_tokens_mask, strict=True)
            keep = [i for i, (m, s) in enumerate(pairs) if m and not s]
            if not keep:
                keep = [0]
            tok = hidden[row, keep].astype(np.float32)
            tok /= np.maximum(np.linalg.norm(tok, axis=1, keepdims=True), 1e-12)
            vectors.append(tok)
            offsets.append(offsets[-1] + len(keep))
    stacked, offs = np.concatenate(vectors), np.array(offsets)
    if path is not None:
        np.savez(path, vectors=stacked, offsets=offs)
    return stacked, offs


def _maxsim(q: tuple[FloatArray, np.ndarray], p: tuple[FloatArray, np.ndarray], rows: np.ndarray,
            cases: np.ndarray) -> FloatArray:  # fmt: skip
    """cases x kept phrasings: the mean over a query's tokens of its best cosine among the phrasing's tokens."""
    qv, qo = q
    pv, po = p
    sel = np.concatenate([np.arange(po[r], po[r + 1]) for r in rows])
    starts = np.concatenate([[0], np.cumsum([po[r + 1] - po[r] for r in rows])[:-1]])
    ptok = pv[sel]
    out = np.zeros((len(cases), len(rows)), np.float32)
    for i, c in enumerate(cases):
        sims = qv[qo[c] : qo[c + 1]] @ ptok.T
        best = np.maximum.reduceat(sims, starts, axis=1)
        out[i] = best.mean(axis=0)
    return out


def _ridge(x: FloatArray, owners: np.ndarray, count: int, lam: float) -> Callable[[FloatArray], FloatArray]:
    """One-hot least squares with an L2 penalty (a closed form: one 384 x 384 solve)."""
    mean = x.mean(axis=0)
    xc = x - mean
    y = np.zeros((len(x), count), np.float32)
    y[np.arange(len(x)), owners] = 1.0
    w = np.linalg.solve(xc.T @ xc + lam * np.eye(x.shape[1], dtype=np.float32), xc.T @ (y - y.mean(axis=0)))
    bias = y.mean(axis=0)
    return lambda q: ((q - mean) @ w + bias).astype(np.float32)


def _softmax_probe(x: FloatArray, owners: np.ndarray, count: int, lam: float, steps: int = 300,
                   scale: float = 20.0) -> Callable[[FloatArray], FloatArray]:  # fmt: skip
    """Softmax regression (full-batch gradient descent with momentum, L2), initialised at the scaled centroids;
    returns class probabilities."""
    y = np.zeros((len(x), count), np.float32)
    y[np.arange(len(x)), owners] = 1.0
    sums = y.T @ x
    w = (scale * sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)).T.astype(np.float32)
    b = np.zeros(count, np.float32)
    vw, vb = np.zeros_like(w), np.zeros_like(b)
    lr = 0.5
    for _ in range(steps):
        z = x @ w + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - y) / len(x)
        gw = x.T @ g + lam * w
        gb = g.sum(axis=0)
        vw = 0.9 * vw - lr * gw
        vb = 0.9 * vb - lr * gb
        w += vw
        b += vb

    def predict(q: FloatArray) -> FloatArray:
        z = q @ w + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        out: FloatArray = (p / p.sum(axis=1, keepdims=True)).astype(np.float32)
        return out

    return predict


def _entry_max(scores: FloatArray, owners: np.ndarray, count: int) -> FloatArray:
    out = np.full((scores.shape[0], count), -1.0, np.float32)
    for e in range(count):
        out[:, e] = scores[:, owners == e].max(axis=1)
    return out


def _entry_mean(scores: FloatArray, owners: np.ndarray, count: int) -> FloatArray:
    sums = np.zeros((scores.shape[0], count), np.float32)
    np.add.at(sums.T, owners, scores.T)
    mean: FloatArray = (sums / np.bincount(owners, minlength=count)[None, :]).astype(np.float32)
    return mean


def _top1(ev: Evidence, sem: FloatArray, nearest_by: FloatArray, nearest: int = 5) -> np.ndarray:
    order = np.argsort(-nearest_by, axis=1)[:, :nearest]
    cand = ev.candidate.copy()
    np.put_along_axis(cand, order, True, axis=1)
    route = ROUTES["latin"]
    w = np.where(ev.coverage < ROMANISED_BELOW, 0.0, route.weight * ev.coverage)[:, None]
    fused = np.where(cand, (1 - w) * ev.lexical + w * sem, -1.0)
    right: np.ndarray = np.argmax(fused, axis=1) == ev.expected
    return right


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("bench", type=Path)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--features", type=Path, help="save each case's per-entry evidence here (npz)")
    args = parser.parse_args()
    bench = load_bench(args.bench)
    minilm = load_encoders(1, ["minilm"]).by_script["latin"]
    assert isinstance(minilm, MiniLm)
    args.cache.mkdir(parents=True, exist_ok=True)
    phrasings = [t for _, ex in bench.entries for t in ex]
    validation = [c for c in bench.validation if c.expected]
    queries = [c for c in bench.queries if c.expected]
    held = [Case(ex[j], entry_id) for entry_id, ex in bench.entries for j in range(len(ex))]
    stem = f"{bench.name}-minilm"
    vec = {
        "phrasings": _encode(minilm, phrasings, False, args.cache / f"{stem}-p.npy"),
        "validation": _encode(minilm, [c.text for c in validation], True, args.cache / f"{stem}-v.npy"),
        "queries": _encode(minilm, [c.text for c in queries], True, args.cache / f"{stem}-q.npy"),
        "held": _encode(minilm, phrasings, True, args.cache / f"{stem}-h.npy"),
    }
    tok = {
        "phrasings": _tokens(minilm, phrasings, args.cache / f"{stem}-tok-p.npz"),
        "validation": _tokens(minilm, [c.text for c in validation], args.cache / f"{stem}-tok-v.npz"),
        "queries": _tokens(minilm, [c.text for c in queries], args.cache / f"{stem}-tok-q.npz"),
    }
    tok["held"] = tok["phrasings"]
    count = len(bench.entries)
    route = ROUTES["latin"]
    flat = [(j, len(ex)) for _, ex in bench.entries for j in range(len(ex))]
    probes: dict[str, Callable[[FloatArray, np.ndarray, int], Callable[[FloatArray], FloatArray]]] = {
        **{f"ridge{lam}": partial(_ridge, lam=lam) for lam in (0.1, 0.3, 1.0, 3.0)},
        **{f"softmax{lam}": partial(_softmax_probe, lam=lam) for lam in (1e-4, 1e-3, 1e-2)},
    }
    train_seconds: dict[str, float] = {}

    def signals(drop: int | None, cases: list[Case], key: str, rows: list[int] | None) -> dict[str, np.ndarray]:
        sub = {"minilm": {"queries": vec[key] if rows is None else vec[key][rows], "phrasings": vec["phrasings"]}}
        ev = _evidence(bench, drop, cases, sub, minilm)
        keep = np.array([i for i, (j, size) in enumerate(flat) if j != drop or size == 1])
        grid = _grid(ev, vec["phrasings"][keep], None, count)
        cos = grid.centroid - grid.pen[route.hub]
        sem = np.clip(cos, 0.0, 1.0)
        q = sub["minilm"]["queries"]
        case_rows = np.array(rows) if rows is not None else np.arange(len(cases))
        out: dict[str, np.ndarray] = {"base": _top1(ev, sem, cos)}
        x = vec["phrasings"][keep]
        feats: dict[str, FloatArray] = {"lexical": ev.lexical, "sem": sem, "best": grid.best,
                                        "hub": np.broadcast_to(grid.pen[route.hub], sem.shape)}  # fmt: skip
        for name, make in probes.items():
            t0 = time.process_time()
            predict = make(x, ev.owners, count)
            train_seconds[name] = max(train_seconds.get(name, 0.0), time.process_time() - t0)
            score = predict(q)
            if name.startswith("ridge"):
                score = np.clip(score, 0.0, 1.0)
            if name in ("ridge1.0", "softmax0.001"):
                feats[name] = score
            for a in SHARES[1:]:
                out[f"{name}@{a}"] = _top1(ev, (1 - a) * sem + a * score, cos)
            out[f"{name}@near"] = _top1(ev, 0.7 * sem + 0.3 * score, (1 - 0.3) * cos + 0.3 * score)
        ms = _maxsim(tok[key], tok["phrasings"], keep, case_rows)
        for agg, f in (("max", _entry_max), ("mean", _entry_mean)):
            ent = f(ms, ev.owners, count)
            feats[f"maxsim-{agg}"] = ent
            for floor in (0.3, 0.5):
                s = np.clip((ent - floor) / (1 - floor), 0.0, 1.0)
                for a in SHARES[1:]:
                    out[f"maxsim-{agg}-f{floor}@{a}"] = _top1(ev, (1 - a) * sem + a * s, cos)
        order = np.argsort(-cos, axis=1)[:, :5]
        cand = ev.candidate.copy()
        np.put_along_axis(cand, order, True, axis=1)
        kept = {n: np.ascontiguousarray(v, dtype=np.float32) for n, v in feats.items()}
        saved.append({"candidate": cand, "lexical_candidate": ev.candidate, "expected": ev.expected,
                      "coverage": ev.coverage, **kept})  # fmt: skip
        return out

    saved: list[dict[str, np.ndarray]] = []
    fold_hits = []
    k = min(len(ex) for _, ex in bench.entries)
    for j in range(k):
        rows = [sum(len(ex) for _, ex in bench.entries[:e]) + j for e in range(count)]
        fold_hits.append(signals(j, [held[r] for r in rows], "held", rows))
    val = signals(None, validation, "validation", None) if validation else None
    names = list(fold_hits[0])
    pooled = {n: np.concatenate([*(f[n] for f in fold_hits), *([val[n]] if val else [])]) for n in names}
    dev = signals(None, queries, "queries", None)
    order = list(range(len(pooled["base"])))
    random.Random(1).shuffle(order)
    folds = [np.array(order[i::FOLDS]) for i in range(FOLDS)]
    everything = np.arange(len(order))
    per_fold = []
    fold_gains = []
    for fold in folds:
        rest = np.setdiff1d(everything, fold)
        chosen = max(names, key=lambda n: (round(float(pooled[n][rest].mean()), 6), n == "base"))
        fold_gains.append(float(pooled[chosen][fold].mean() - pooled["base"][fold].mean()))
        per_fold.append({"chosen": chosen, "top1": round(float(pooled[chosen][fold].mean()), 4),
                         "top1_base": round(float(pooled["base"][fold].mean()), 4)})  # fmt: skip
    # cross-validation within each family (one signal, its parameters chosen on four folds)
    families = sorted({_family(n) for n in names if n != "base"})
    family_cv = {}
    for fam in families:
        members = ["base", *(n for n in names if n.startswith(fam))]
        gains = []
        for fold in folds:
            rest = np.setdiff1d(everything, fold)
            chosen = max(members, key=lambda n: (round(float(pooled[n][rest].mean()), 6), n == "base"))
            gains.append(float(pooled[chosen][fold].mean() - pooled["base"][fold].mean()))
        family_cv[fam] = round(float(np.mean(gains)), 4)
    chosen_all = max(names, key=lambda n: (round(float(pooled[n].mean()), 6), n == "base"))
    shown = {
        "bench": bench.name,
        "cases": {
            "phrasing_folds": sum(len(f["base"]) for f in fold_hits),
            "validation_rows": len(validation),
            "dev_queries": len(queries),
        },
        "cv_folds": per_fold,
        "cv_gain_over_base": round(float(np.mean(fold_gains)), 4),
        "family_cv_gain": family_cv,
        "chosen_on_all_validation": chosen_all,
        "probe_train_cpu_seconds_max": {n: round(s, 3) for n, s in train_seconds.items()},
        "points": {
            n: {
                "phrasing_folds": round(float(np.concatenate([f[n] for f in fold_hits]).mean()), 4),
                "validation_rows": round(float(val[n].mean()), 4) if val else None,
                "pooled": round(float(pooled[n].mean()), 4),
                "dev_queries": round(float(dev[n].mean()), 4),
            }
            for n in names
        },
    }
    print_figures(shown, args.out)
    if args.features:
        parts = [*(f"fold{j}" for j in range(k)), *(["validation"] if val else []), "dev"]
        arrays: dict[str, Any] = {
            f"{part}:{n}": v for part, got in zip(parts, saved, strict=True) for n, v in got.items()
        }
        np.savez(args.features, **arrays)


def _family(name: str) -> str:
    """A point's signal without its parameters: ridge, softmax, maxsim-max, maxsim-mean."""
    head = name.split("@")[0]
    return (
        head.split("-f")[0]
        if head.startswith("maxsim")
        else head.removesuffix(head.lstrip("abcdefghijklmnopqrstuvwxyz"))
    )


if __name__ == "__main__":
    main()
