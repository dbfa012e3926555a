from __future__ import annotations

from kb.benchfile import load_bench, run_bench, tune
from kb.matcher import LexicalMatcher
from tests.kb.conftest import FIXTURES

TINY = FIXTURES / "tiny_bench.json"


def test_a_bench_entry_becomes_a_kb_entry_with_its_first_example_as_question() -> None:
    kb = load_bench(TINY).knowledge_base()
    balance = kb.get("balance")
    assert balance is not None
    assert balance.question == "how much money do i have"
    assert balance.alternates == ["what is my account balance", "show my balance"]


def test_validation_and_queries_are_kept_apart() -> None:
    bench = load_bench(TINY)
    assert len(bench.validation) == 3 and len(bench.queries) == 4
    assert bench.validation[-1].expected is None


def test_the_threshold_comes_from_validation_only() -> None:
    bench = load_bench(TINY)
    matcher = LexicalMatcher.from_knowledge_base(bench.knowledge_base())
    figures = run_bench(bench)["all"]
    assert figures.threshold == tune(matcher, bench.validation)


def test_a_bench_run_reports_every_figure() -> None:
    figures = run_bench(load_bench(TINY))["all"]
    assert figures.top1 == 1.0
    assert figures.oos_recall == 1.0
    assert (figures.entries, figures.queries) == (3, 4)
    assert 0 < figures.p50_ms <= figures.p99_ms
