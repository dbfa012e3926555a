"""Is the user describing an open problem? Their words against each problem's own texts (its title,
description and linked tickets' descriptions), with the likeness `kb gaps` groups tickets by."""

from __future__ import annotations

from collections.abc import Sequence

from kb.gaps import similarities
from tickets.problems import KnownProblem

TOP = 3  # a problem's likeness is the mean of its three closest texts, so one stray ticket cannot decide


def likeness(text: str, problem: KnownProblem) -> float:
    """How alike `text` is to the problem's texts, in [0, 1]."""
    alike = similarities([text, *problem.texts])[0]
    closest = sorted(alike.values(), reverse=True)[:TOP]
    return sum(closest) / min(TOP, len(problem.texts)) if closest else 0.0


def best_match(text: str, problems: Sequence[KnownProblem], threshold: float) -> KnownProblem | None:
    """The open problem the text is most like, if any reaches `threshold`."""
    scored = [(likeness(text, p), p) for p in problems]
    best = max(scored, key=lambda pair: pair[0], default=None)
    return best[1] if best is not None and best[0] >= threshold else None
