"""The shared benchmark format (/work/shared/bench/README.md): public intent data as a knowledge base."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from kb.encoders import Encoders
from kb.evaluate import Case, Metrics, Policy, by_script, choose_policies, choose_threshold, run_cases
from kb.loader import KnowledgeBase, Source
from kb.loo import remembering
from kb.matcher import ROUTE_NAMES, ROUTES, LexicalMatcher
from kb.routechoice import RouteChoice, choose_latin_route
from kb.schema import Entry
from kb.semantic import StaticVectors


class _BenchEntry(BaseModel):
    id: str
    examples: list[str] = Field(min_length=1)


class _BenchCase(BaseModel):
    text: str
    expected: str | None


class _BenchModel(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = "bench"
    entries: list[_BenchEntry]
    validation: list[_BenchCase] = Field(default_factory=list)
    queries: list[_BenchCase] = Field(default_factory=list)


@dataclass(frozen=True)
class BenchFile:
    """Entries as (id, examples); the validation rows (may be empty) and the queries to score."""

    name: str
    entries: tuple[tuple[str, tuple[str, ...]], ...]
    validation: tuple[Case, ...]
    queries: tuple[Case, ...]

    def knowledge_base(self) -> KnowledgeBase:
        """Each entry's question is examples[0] and its alternates the rest."""
        entries = tuple(_entry(entry_id, examples) for entry_id, examples in self.entries)
        return KnowledgeBase(entries, tuple(Source(self.name, None) for _ in entries))


def _entry(entry_id: str, examples: tuple[str, ...]) -> Entry:
    # Public data does not follow our content rules (slugs, three alternates): build without validating.
    return Entry.model_construct(
        id=entry_id, question=examples[0], alternates=list(examples[1:]), answer=examples[0],
        module="other", audience="all", tags=[], translations={}, links=[], owner=None, reviewed=None,
    )  # fmt: skip


def load_bench(path: Path) -> BenchFile:
    """Read a benchmark JSON file."""
    model = _BenchModel.model_validate(json.loads(path.read_text(encoding="utf-8")))
    return BenchFile(
        model.name,
        tuple((e.id, tuple(e.examples)) for e in model.entries),
        tuple(Case(c.text, c.expected) for c in model.validation),
        tuple(Case(c.text, c.expected) for c in model.queries),
    )


def tune(matcher: LexicalMatcher, cases: tuple[Case, ...] | list[Case]) -> float:
    """The threshold chosen on these cases only."""
    return choose_threshold(run_cases(matcher, cases)) if cases else matcher.threshold


def run_bench(
    bench: BenchFile,
    progress: Callable[[], None] | None = None,
    vectors: StaticVectors | None = None,
    encoders: Encoders | None = None,
    policies: dict[str, Policy] | None = None,
    choose_route: bool = True,
    chosen_route: list[RouteChoice] | None = None,
) -> dict[str, Metrics]:
    """Load the entries, choose the Latin route (kb.routechoice, kept in `chosen_route` when given) and each
    script's threshold and disagreement rise on validation only (kept in `policies` when given), then score
    every query.

    Per script and for all queries together ("all"); a script without validation rows keeps the
    matcher's threshold and margins for it.
    """
    encoders = encoders or Encoders({})
    kb = bench.knowledge_base()
    routes = dict(ROUTES)
    if "latin" in encoders.by_script and choose_route:
        encoders = remembering(encoders)  # every grid point rebuilds the matcher: each text encoded once
        choice = choose_latin_route(kb, bench.validation, encoders, routes, progress)
        routes["latin"] = choice.route
        if chosen_route is not None:
            chosen_route.append(choice)
    matcher = LexicalMatcher(kb, vectors=None if encoders.by_script else vectors, encoders=encoders, routes=routes)
    thresholds: dict[str, float] = {script: matcher.threshold_for(script) for script in ROUTE_NAMES}
    chosen = choose_policies(run_cases(matcher, bench.validation, progress)) if bench.validation else {}
    thresholds |= {script: policy.threshold for script, policy in chosen.items()}
    if policies is not None:
        policies.update(chosen)
    outcomes = [
        replace(o, raise_=chosen[o.script].rise(o)) if o.script in chosen else o
        for o in run_cases(matcher, bench.queries, progress)
    ]
    return by_script(outcomes, thresholds, entries=len(bench.entries))
