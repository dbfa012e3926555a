from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from app.cli import cli
from tests.kb.conftest import FIXTURES, GOOD_CONTENT, VALID_ENTRY, write_content

runner = CliRunner()
ENV = {"HELPDESK_KB_DIR": str(GOOD_CONTENT)}


def test_lint_passes_a_clean_folder() -> None:
    result = runner.invoke(cli, ["kb", "lint", str(GOOD_CONTENT)])
    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.output


def test_lint_fails_on_errors_and_names_file_line_and_field(tmp_path: Path) -> None:
    content = write_content(tmp_path, {"a.yaml": VALID_ENTRY.replace("module: login", "module: roads")})
    result = runner.invoke(cli, ["kb", "lint", str(content)])
    assert result.exit_code == 1
    assert f"{content / 'a.yaml'}:6: error: module: The module 'roads' is unknown" in result.output


def test_lint_passes_with_warnings_unless_strict(tmp_path: Path) -> None:
    content = write_content(tmp_path, {"a.yaml": VALID_ENTRY})
    assert runner.invoke(cli, ["kb", "lint", str(content)]).exit_code == 0
    assert runner.invoke(cli, ["kb", "lint", str(content), "--strict"]).exit_code == 1


def test_lint_as_json_lists_problems(tmp_path: Path) -> None:
    content = write_content(tmp_path, {"a.yaml": VALID_ENTRY})
    problems = json.loads(runner.invoke(cli, ["kb", "lint", str(content), "--format", "json"]).output)
    assert {"file", "line", "field", "message", "severity"} <= set(problems[0])


def test_match_as_json_has_abstain_and_ranked_hits() -> None:
    result = runner.invoke(cli, ["kb", "match", "forgot pwd", "--format", "json"], env=ENV)
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["abstain"] is False
    assert set(shown["hits"][0]) == {"id", "question", "answer", "score"}
    assert shown["hits"][0]["id"] == "forgot-password"


def test_match_answers_in_the_language_asked_for() -> None:
    result = runner.invoke(cli, ["kb", "match", "forgot pwd", "--lang", "or", "--format", "json"], env=ENV)
    assert json.loads(result.output)["hits"][0]["question"] == "ମୁଁ ମୋର ପାସୱାର୍ଡ ଭୁଲି ଯାଇଛି"


def test_match_as_text_says_when_it_abstains() -> None:
    result = runner.invoke(cli, ["kb", "match", "what is the capital of france"], env=ENV)
    assert result.output.startswith("abstain")


def test_match_refuses_a_broken_knowledge_base(tmp_path: Path) -> None:
    content = write_content(tmp_path, {"a.yaml": "entries: [\n"})
    result = runner.invoke(cli, ["kb", "match", "forgot pwd"], env={"HELPDESK_KB_DIR": str(content)})
    assert result.exit_code == 2


def test_eval_prints_figures_and_misses() -> None:
    result = runner.invoke(cli, ["kb", "eval", str(FIXTURES / "good" / "cases.yaml"), "--format", "json"], env=ENV)
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["top1"] == 1.0 and shown["oos_recall"] == 1.0
    assert shown["misses"] == []


def test_eval_accepts_a_glob(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text("cases:\n  - {text: forgot pwd, expected: otp-not-received}\n", "utf-8")
    result = runner.invoke(cli, ["kb", "eval", str(tmp_path / "*.yaml")], env=ENV)
    assert "top1" in result.output
    assert "MISS 'forgot pwd': expected otp-not-received, got forgot-password" in result.output


def test_bench_as_json_uses_the_shared_keys() -> None:
    result = runner.invoke(cli, ["kb", "bench", str(FIXTURES / "tiny_bench.json"), "--format", "json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert set(shown["scripts"]) == {"latin"}  # and the same figures for each script of the queries
    assert set(shown["chosen_on_validation"]["latin"]) == {
        "threshold", "disagree_margin", "clear_margin", "crowd_margin", "both_margin"
    }
    assert set(shown) - {"scripts", "chosen_on_validation", "latin_route"} == {
        "top1", "top3", "inscope_accuracy", "oos_recall", "overall_accuracy", "threshold", "latency_ms",
        "entries", "queries",
    }  # fmt: skip
    assert set(shown["latency_ms"]) == {"p50", "p99"}
    assert (shown["entries"], shown["queries"]) == (3, 4)


def test_tune_prints_the_threshold_from_validation_rows() -> None:
    result = runner.invoke(cli, ["kb", "tune", str(FIXTURES / "tiny_bench.json")])
    assert result.exit_code == 0, result.output
    assert 0.0 <= float(result.output) <= 1.0


def test_tune_also_reads_a_cases_file() -> None:
    result = runner.invoke(cli, ["kb", "tune", str(FIXTURES / "good" / "cases.yaml")], env=ENV)
    assert result.exit_code == 0, result.output
    float(result.output)
