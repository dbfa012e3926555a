"""A benchmark's Latin route chosen on its validation data: phrasing folds and validation rows, never queries."""

from __future__ import annotations

from kb.benchfile import load_bench, run_bench
from kb.encoders import Encoders
from kb.matcher import ROUTES
from kb.routechoice import RouteChoice, choice_cases, phrasing_folds
from tests.kb.conftest import FIXTURES
from tests.kb.test_fused import ConceptEncoder

TINY = FIXTURES / "tiny_bench.json"


def test_each_phrasing_is_left_out_of_its_own_entry_once() -> None:
    kb = load_bench(TINY).knowledge_base()
    seen = []
    for smaller, cases in phrasing_folds(kb):
        for case in cases:
            entry = smaller.get(str(case.expected))
            assert entry is not None and case.text not in entry.phrasings("en")
            assert len(entry.phrasings("en")) == 2
            seen.append(case.text)
    assert sorted(seen) == sorted(t for e in kb.entries for t in e.phrasings("en"))


def test_a_bench_run_with_an_encoder_keeps_the_shipped_route_unless_validation_says_otherwise() -> None:
    bench = load_bench(TINY)
    chosen: list[RouteChoice] = []
    encoder = ConceptEncoder()
    figures = run_bench(bench, encoders=Encoders({"latin": encoder}), chosen_route=chosen)
    (choice,) = chosen
    assert choice.cases == 9 + 2  # three phrasings of three entries, two in-scope validation rows
    assert len(choice.top1) == choice_cases(bench.knowledge_base(), bench.validation) // choice.cases
    assert choice.route == ROUTES["latin"]  # no grid point gains half a point here
    assert figures["all"].queries == 4


def test_a_lexical_bench_run_chooses_no_route() -> None:
    chosen: list[RouteChoice] = []
    run_bench(load_bench(TINY), chosen_route=chosen)
    assert chosen == []
