"""A benchmark's Latin route (hubness reduction, best-phrasing share) chosen on its own validation data only.

Validation is each entry's j-th phrasing matched against the entries' other phrasings ("phrasing folds", every
benchmark has them) and the benchmark's in-scope validation rows when it has any; never its queries. The route
changes only when a point of the grid beats it by MIN_GAIN of top-1 or more: smaller differences are noise at a
few thousand cases (bench/kb_latin_cv.py, docs/matching.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace

from kb.encoders import Encoders
from kb.evaluate import Case
from kb.loader import KnowledgeBase
from kb.matcher import ROUTES, LexicalMatcher, Route

HUBS = (0.0, 0.4, 0.8)
BEST_SHARES = (0.0, 0.4)
MIN_GAIN = 0.005  # half a point of validation top-1


@dataclass(frozen=True)
class RouteChoice:
    """The Latin route chosen, and each grid point's validation top-1 (hub, best share) -> share."""

    route: Route
    cases: int
    top1: Mapping[tuple[float, float], float]


def phrasing_folds(kb: KnowledgeBase) -> Iterator[tuple[KnowledgeBase, list[Case]]]:
    """For j = 0, 1, ...: the knowledge base without each entry's j-th English phrasing, and those phrasings as
    cases (an entry with one phrasing left keeps it and gives no case)."""
    most = max((len(entry.phrasings("en")) for entry in kb.entries), default=0)
    for j in range(most):
        entries, cases = [], []
        for entry in kb.entries:
            texts = entry.phrasings("en")
            if len(texts) > 1 and j < len(texts):
                rest = texts[:j] + texts[j + 1 :]
                entries.append(entry.model_copy(update={"question": rest[0], "alternates": rest[1:]}))
                cases.append(Case(texts[j], entry.id))
            else:
                entries.append(entry)
        if cases:
            yield replace(kb, entries=tuple(entries)), cases


def choose_latin_route(
    kb: KnowledgeBase,
    validation: tuple[Case, ...] | list[Case],
    encoders: Encoders,
    routes: Mapping[str, Route] = ROUTES,
    progress: Callable[[], None] | None = None,
) -> RouteChoice:
    """The grid point with the best validation top-1, if it beats `routes["latin"]` by MIN_GAIN; else that.

    `encoders` should encode each text once (kb.loo.remembering): every point rebuilds the matcher."""
    base = routes["latin"]
    folds = [*phrasing_folds(kb), (kb, [case for case in validation if case.expected])]
    total = sum(len(cases) for _, cases in folds)
    top1: dict[tuple[float, float], float] = {}
    for hub in HUBS:
        for best in BEST_SHARES:
            trial = {**routes, "latin": replace(base, hub=hub, best_share=best)}
            right = 0
            for smaller, cases in folds:
                matcher = LexicalMatcher(smaller, encoders=encoders, routes=trial)
                for case in cases:
                    ranked = matcher.rank(case.text, limit=1)
                    right += bool(ranked) and ranked[0][0].id == case.expected
                    if progress:
                        progress()
            top1[(hub, best)] = right / total if total else 0.0
    shipped = top1.get((base.hub, base.best_share))
    point = max(top1, key=lambda p: (top1[p], p == (base.hub, base.best_share)))
    if shipped is not None and top1[point] - shipped < MIN_GAIN:
        return RouteChoice(base, total, top1)
    return RouteChoice(replace(base, hub=point[0], best_share=point[1]), total, top1)


def choice_cases(kb: KnowledgeBase, validation: tuple[Case, ...] | list[Case]) -> int:
    """How many matches choose_latin_route makes (for a progress bar)."""
    folds = sum(len(cases) for _, cases in phrasing_folds(kb))
    return (folds + sum(1 for case in validation if case.expected)) * len(HUBS) * len(BEST_SHARES)
