"""Measuring the matcher on labelled questions, and choosing the abstain threshold from them."""

from __future__ import annotations

import bisect
import glob
import itertools
import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from core.errors import InvalidContent, Problem
from kb.matcher import ROMANISED, ROUTE_NAMES, LexicalMatcher
from kb.yamlsource import read_yaml


@dataclass(frozen=True)
class Case:
    """A question and the entry that should answer it (None: out of scope, the matcher should abstain)."""

    text: str
    expected: str | None
    lang: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What the matcher ranked for one case, ignoring the threshold, and how long it took."""

    case: Case
    ranked: tuple[str, ...]
    score: float
    millis: float
    script: str = "latin"
    margin: float = 1.0  # the best entry's lead over the second
    agree: bool | None = None  # whether lexical and semantic evidence agree on the best entry (None: no semantic)
    raise_: float = 0.0  # how much the bar rose for this case (lexical and semantic disagree, a crowd)
    crowded: bool = False  # whether kb.matcher.CROWD entries scored close to the best

    @property
    def evidence(self) -> float:
        """The score as compared with the script's threshold: less the rise of the bar on disagreement."""
        return self.score - self.raise_

    @property
    def top(self) -> str | None:
        return self.ranked[0] if self.ranked else None

    def is_right(self, threshold: float) -> bool:
        answered = self.top is not None and self.evidence >= threshold
        return self.top == self.case.expected and answered if self.case.expected else not answered


@dataclass(frozen=True)
class Metrics:
    """The figures of kb/README.md: shares in [0, 1], latency in milliseconds."""

    top1: float
    top3: float
    inscope_accuracy: float
    oos_recall: float
    overall_accuracy: float
    threshold: float
    entries: int
    queries: int
    p50_ms: float
    p99_ms: float

    def as_dict(self) -> dict[str, object]:
        shares = ("top1", "top3", "inscope_accuracy", "oos_recall", "overall_accuracy")
        out: dict[str, object] = {name: round(getattr(self, name), 4) for name in shares}
        out["threshold"] = round(self.threshold, 4)
        out["latency_ms"] = {"p50": round(self.p50_ms, 3), "p99": round(self.p99_ms, 3)}
        out["entries"], out["queries"] = self.entries, self.queries
        return out


def run_cases(
    matcher: LexicalMatcher, cases: Iterable[Case], progress: Callable[[], None] | None = None
) -> list[Outcome]:
    """Each case matched one at a time, timed; an expected id renamed since is read as the entry's new id."""
    outcomes = []
    kb = matcher.knowledge_base
    for case in cases:
        if case.expected:
            case = replace(case, expected=kb.resolve(case.expected))
        start = time.perf_counter()
        ranked, reasons = matcher.assess(case.text, limit=3)
        millis = (time.perf_counter() - start) * 1000
        score = ranked[0][1] if ranked else 0.0
        ids = tuple(entry.id for entry, _ in ranked)
        rise = max(0.0, reasons.threshold - matcher.threshold_for(reasons.script))
        outcomes.append(
            Outcome(case, ids, score, millis, reasons.script, reasons.margin, reasons.agree, rise, reasons.crowded)
        )
        if progress:
            progress()
    return outcomes


def _share(hits: int, total: int) -> float:
    return hits / total if total else 0.0


def _percentile(values: Sequence[float], pct: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1]


Thresholds = float | Mapping[str, float]  # one for every script, or one per script


def _at(thresholds: Thresholds, script: str) -> float:
    return thresholds if isinstance(thresholds, float | int) else thresholds.get(script, 0.0)


def metrics(outcomes: Sequence[Outcome], threshold: Thresholds, entries: int) -> Metrics:
    """Top-k, accuracy and out-of-scope recall at `threshold` (or each script's), with latency percentiles."""
    inside = [o for o in outcomes if o.case.expected]
    outside = [o for o in outcomes if not o.case.expected]
    millis = [o.millis for o in outcomes]

    def right(o: Outcome) -> bool:
        return o.is_right(_at(threshold, o.script))

    shown = threshold if isinstance(threshold, float | int) else _at(threshold, "latin")
    return Metrics(
        top1=_share(sum(o.top == o.case.expected for o in inside), len(inside)),
        top3=_share(sum(o.case.expected in o.ranked for o in inside), len(inside)),
        inscope_accuracy=_share(sum(right(o) for o in inside), len(inside)),
        oos_recall=_share(sum(right(o) for o in outside), len(outside)),
        overall_accuracy=_share(sum(right(o) for o in outcomes), len(outcomes)),
        threshold=float(shown),
        entries=entries,
        queries=len(outcomes),
        p50_ms=_percentile(millis, 50),
        p99_ms=_percentile(millis, 99),
    )


def choose_threshold(outcomes: Sequence[Outcome]) -> float:
    """The threshold with the best overall accuracy; ties go to the better in-scope accuracy (the lower one).

    It sits halfway between the lowest score answered and the next score below it, for a margin.
    """
    good = sorted(o.evidence for o in outcomes if o.case.expected and o.top == o.case.expected)
    oos = sorted(o.evidence for o in outcomes if not o.case.expected)
    scores = sorted({o.evidence for o in outcomes})
    best, best_key = 0.0, (-1, -1)
    for t in scores:
        answered_right = len(good) - bisect.bisect_left(good, t)
        key = (answered_right + bisect.bisect_left(oos, t), answered_right)
        if key > best_key:
            best, best_key = t, key
    if not oos and best_key[1] == len(good):
        return 0.0
    below = [s for s in scores if s < best]
    return (best + below[-1]) / 2 if below else best


def by_script(outcomes: Sequence[Outcome], thresholds: Thresholds, entries: int) -> dict[str, Metrics]:
    """The figures of each script's cases (scripts without any are left out), and of all as "all"."""
    table = {
        script: metrics(found, _at(thresholds, script), entries)
        for script in ROUTE_NAMES
        if (found := [o for o in outcomes if o.script == script])
    }
    table["all"] = metrics(outcomes, thresholds, entries)
    return table


def choose_thresholds(outcomes: Sequence[Outcome]) -> dict[str, float]:
    """A threshold per script, each chosen on that script's cases only."""
    return {
        script: choose_threshold(found)
        for script in ROUTE_NAMES
        if (found := [o for o in outcomes if o.script == script])
    }


class _CaseModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    expected: str | None = None
    lang: str | None = None


def load_cases(path: Path) -> list[Case]:
    """Cases from a maintainers' file: a mapping with `cases:`, a list of {text, expected, lang}."""
    doc, problems = read_yaml(path)
    if doc is None or problems:
        raise InvalidContent(problems)
    items = doc.data.get("cases") if isinstance(doc.data, dict) else None
    if not isinstance(items, list):
        raise InvalidContent([Problem(doc.file, doc.line_of(()), "cases", "must be a list under `cases:`")])
    cases: list[Case] = []
    found: list[Problem] = []
    for index, item in enumerate(items):
        try:
            model = _CaseModel.model_validate(item)
        except ValidationError as err:
            where = doc.line_of(("cases", index))
            found.extend(Problem(doc.file, where, ".".join(map(str, e["loc"])), e["msg"]) for e in err.errors())
            continue
        cases.append(Case(model.text, model.expected, model.lang))
    if found:
        raise InvalidContent(found)
    return cases


def expand_paths(spec: str) -> list[Path]:
    """A file, every YAML file of a directory, or the files a glob pattern names."""
    path = Path(spec)
    if path.is_dir():
        return sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
    if path.exists():
        return [path]
    return sorted(Path(p) for p in glob.glob(spec))


@dataclass(frozen=True)
class Policy:
    """A route's abstain policy chosen on validation outcomes (kb.matcher.Route's threshold and margins)."""

    threshold: float
    disagree_margin: float
    clear_margin: float
    crowd_margin: float = 0.0
    both_margin: float = 0.0  # the evidence disagrees and a crowd is close: the bar rises this much more

    def rise(self, outcome: Outcome) -> float:
        """How far this policy raises the bar for the outcome's case."""
        disagree = self.disagree_margin if outcome.agree is False else 0.0
        both = self.both_margin if outcome.agree is False and outcome.crowded else 0.0
        return disagree + (self.crowd_margin if outcome.crowded else 0.0) + both


DISAGREE_STEPS = tuple(round(0.02 * i, 2) for i in range(16))  # 0 .. 0.30
CROWD_STEPS = tuple(round(0.05 * i, 2) for i in range(7))  # 0 .. 0.30
BOTH_STEPS = CROWD_STEPS
CLEAR_PRECISION = 0.9  # one answer alone when at least this share of validation cases so clear were right


def choose_policy(outcomes: Sequence[Outcome]) -> Policy:
    """Threshold, disagreement rise, crowd rise and the rise for both at once together, then the smallest clear
    margin above which the best entry was right for CLEAR_PRECISION of in-scope cases.

    The rises: the best overall accuracy; on a tie, the fewer wrong answers given to in-scope questions (a
    ticket filed is better than a wrong answer, and overall accuracy counts both as misses), then the smaller
    rises, then the rule that raises the bar for fewer cases."""
    best: tuple[tuple[int, int, float, int], float, Policy] | None = None
    crowds = CROWD_STEPS if any(o.crowded for o in outcomes) else (0.0,)
    boths = BOTH_STEPS if any(o.crowded and o.agree is False for o in outcomes) else (0.0,)
    for rise, crowd, both in itertools.product(DISAGREE_STEPS, crowds, boths):
        trial = Policy(0.0, rise, 0.0, crowd, both)
        shifted = [replace(o, raise_=trial.rise(o)) for o in outcomes]
        threshold = choose_threshold(shifted)
        right = sum(o.is_right(threshold) for o in shifted)
        wrong = sum(o.top != o.case.expected and o.evidence >= threshold for o in shifted if o.case.expected)
        raised = sum(trial.rise(o) > 0 for o in outcomes)
        key = (right, -wrong, -(rise + crowd + both), -raised)
        if best is None or key > best[0]:
            best = (key, threshold, trial)
    assert best is not None
    inside = sorted((o for o in outcomes if o.case.expected and o.top), key=lambda o: -o.margin)
    clear, hits = 1.0, 0
    for count, outcome in enumerate(inside, start=1):
        hits += outcome.top == outcome.case.expected
        tied = count < len(inside) and inside[count].margin == outcome.margin  # all of a margin count together
        if not tied and hits / count >= CLEAR_PRECISION:
            clear = outcome.margin
    return replace(best[2], threshold=best[1], clear_margin=round(clear, 4))


FEWEST_CASES = 30  # a route with fewer validation cases takes the policy chosen on its whole script's


def choose_policies(outcomes: Sequence[Outcome]) -> dict[str, Policy]:
    """A policy per route, each chosen on that route's cases only; romanised questions, when too few to
    choose on (a benchmark in English), take the policy chosen on every Latin-script case."""
    chosen = {
        script: choose_policy(found) for script in ROUTE_NAMES if (found := [o for o in outcomes if o.script == script])
    }
    romanised = [o for o in outcomes if o.script == ROMANISED]
    if romanised and len(romanised) < FEWEST_CASES:
        chosen[ROMANISED] = choose_policy([o for o in outcomes if o.script in ("latin", ROMANISED)])
    return chosen
