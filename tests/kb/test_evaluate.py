from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import InvalidContent
from kb.evaluate import Case, Outcome, choose_policy, choose_threshold, expand_paths, load_cases, metrics, run_cases
from kb.matcher import LexicalMatcher
from tests.kb.conftest import FIXTURES


def _outcome(expected: str | None, ranked: tuple[str, ...], score: float) -> Outcome:
    return Outcome(Case("text", expected), ranked, score, millis=1.0)


OUTCOMES = [
    _outcome("a", ("a", "b"), 0.9),  # right, confident
    _outcome("a", ("b", "a", "c"), 0.5),  # right entry second
    _outcome("b", ("b",), 0.2),  # right but weak
    _outcome("c", ("a", "b", "d"), 0.6),  # wrong
    _outcome(None, ("a",), 0.1),  # out of scope, weak
    _outcome(None, ("b",), 0.7),  # out of scope, strong
]


def test_metrics_count_ranks_answers_and_abstentions() -> None:
    figures = metrics(OUTCOMES, threshold=0.3, entries=4)
    assert figures.top1 == pytest.approx(2 / 4)
    assert figures.top3 == pytest.approx(3 / 4)
    assert figures.inscope_accuracy == pytest.approx(1 / 4)
    assert figures.oos_recall == pytest.approx(1 / 2)
    assert figures.overall_accuracy == pytest.approx(2 / 6)
    assert (figures.entries, figures.queries) == (4, 6)


def test_metrics_as_json_use_the_bench_keys() -> None:
    shown = metrics(OUTCOMES, threshold=0.3, entries=4).as_dict()
    assert set(shown) == {
        "top1", "top3", "inscope_accuracy", "oos_recall", "overall_accuracy", "threshold", "latency_ms",
        "entries", "queries",
    }  # fmt: skip
    assert shown["latency_ms"] == {"p50": 1.0, "p99": 1.0}


def test_the_threshold_maximises_overall_accuracy() -> None:
    threshold = choose_threshold(OUTCOMES)
    best = metrics(OUTCOMES, threshold, 4).overall_accuracy
    assert all(metrics(OUTCOMES, t / 100, 4).overall_accuracy <= best for t in range(101))
    assert 0.1 < threshold <= 0.2  # answers the weak right one, abstains on the weak out-of-scope one


def test_without_out_of_scope_cases_the_threshold_answers_everything_right() -> None:
    assert choose_threshold([_outcome("a", ("a",), 0.4), _outcome("b", ("b",), 0.2)]) == 0.0


def test_cases_load_from_a_maintainers_file() -> None:
    cases = load_cases(FIXTURES / "good" / "cases.yaml")
    assert cases[0] == Case("forgot my pwd", "forgot-password")
    assert cases[2].lang == "or"
    assert cases[-1].expected is None


def test_a_bad_cases_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text("cases:\n  - {text: hello}\n  - {txt: oops}\n", encoding="utf-8")
    with pytest.raises(InvalidContent) as caught:
        load_cases(path)
    assert caught.value.problems[0].line == 3


def test_paths_may_be_a_file_a_folder_or_a_glob(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text("cases: []\n", encoding="utf-8")
    assert expand_paths(str(tmp_path)) == [tmp_path / "a.yaml", tmp_path / "b.yaml"]
    assert expand_paths(str(tmp_path / "a.yaml")) == [tmp_path / "a.yaml"]
    assert expand_paths(str(tmp_path / "*.yaml")) == [tmp_path / "a.yaml", tmp_path / "b.yaml"]


def test_the_fixture_cases_are_all_handled_right(matcher: LexicalMatcher) -> None:
    outcomes = run_cases(matcher, load_cases(FIXTURES / "good" / "cases.yaml"))
    figures = metrics(outcomes, matcher.threshold, len(matcher.knowledge_base.entries))
    assert figures.top1 == 1.0
    assert figures.overall_accuracy == 1.0


def test_the_policy_raises_the_bar_where_disagreement_went_wrong_and_finds_the_clear_margin() -> None:
    def case(expected: str | None, top: str, score: float, margin: float, agree: bool) -> Outcome:
        return Outcome(Case("text", expected), (top,), score, 1.0, "latin", margin, agree)

    outcomes = [
        *(case("a", "a", 0.8, 0.3, True) for _ in range(8)),  # agreeing and right, clear
        *(case("a", "a", 0.5, 0.02, True) for _ in range(2)),  # right but close
        *(case("a", "b", 0.5, 0.01, True) for _ in range(3)),  # wrong, close
        *(case(None, "b", 0.6, 0.01, False) for _ in range(4)),  # out of scope: fairly high, disagreeing
        case("a", "a", 0.45, 0.05, False),
    ]
    policy = choose_policy(outcomes)
    assert policy.disagree_margin > 0  # the out-of-scope cases abstain only if disagreement raises the bar
    shifted = [Outcome(o.case, o.ranked, o.score, 1.0, "latin", o.margin, o.agree,
                       policy.disagree_margin if o.agree is False else 0.0) for o in outcomes]  # fmt: skip
    assert policy.disagree_margin == 0.12 and sum(o.is_right(policy.threshold) for o in shifted) == 14
    assert policy.clear_margin == 0.02  # from it up, the best entry was right for at least 90% of cases


def test_the_policy_raises_the_bar_for_a_crowd_of_close_entries_where_crowds_went_wrong() -> None:
    def case(expected: str | None, top: str, score: float, crowded: bool) -> Outcome:
        return Outcome(Case("text", expected), (top,), score, 1.0, "latin", 0.01, True, crowded=crowded)

    outcomes = [
        *(case("a", "a", 0.55, False) for _ in range(6)),  # right, standing out, scoring lower
        *(case(None, "b", 0.6, True) for _ in range(4)),  # in-domain but unanswerable: many entries alike
        case("a", "a", 0.75, True),  # a crowded case that was right, scoring higher
    ]
    policy = choose_policy(outcomes)
    assert policy.crowd_margin > 0 and policy.disagree_margin == 0
    assert sum(o.is_right(policy.threshold) for o in outcomes if not o.crowded) == 6
    assert all(not o.is_right(policy.threshold) for o in outcomes if o.case.expected is None), "bar without rise"
    risen = [Outcome(o.case, o.ranked, o.score, 1.0, "latin", 0.01, True, policy.rise(o), o.crowded) for o in outcomes]
    assert sum(o.is_right(policy.threshold) for o in risen) == len(outcomes)


def test_the_policy_raises_the_bar_only_where_disagreement_in_a_crowd_went_wrong() -> None:
    def case(expected: str | None, top: str, score: float, agree: bool, crowded: bool) -> Outcome:
        return Outcome(Case("text", expected), (top,), score, 1.0, "latin", 0.01, agree, crowded=crowded)

    outcomes = [
        *(case("a", "a", 0.5, False, False) for _ in range(3)),  # disagreeing but standing out: right
        *(case("a", "a", 0.5, True, True) for _ in range(3)),  # crowded but agreeing: right
        *(case(None, "b", 0.6, False, True) for _ in range(3)),  # both at once: out of scope
        case("a", "a", 0.8, False, True),  # both at once, right and scoring higher
    ]
    policy = choose_policy(outcomes)
    assert policy.both_margin > 0 and policy.disagree_margin == 0 and policy.crowd_margin == 0
    risen = [Outcome(o.case, o.ranked, o.score, 1.0, "latin", 0.01, o.agree, policy.rise(o), o.crowded)
             for o in outcomes]  # fmt: skip
    assert sum(o.is_right(policy.threshold) for o in risen) == len(outcomes)
