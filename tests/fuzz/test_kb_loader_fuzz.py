"""The knowledge-base loader fed random, truncated and corrupted YAML: a clear error naming the file and
line every time, never a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import InvalidContent
from kb.loader import default_kb_dir, load_knowledge_base

SHIPPED = {p.name: p.read_bytes() for p in sorted(default_kb_dir().glob("*.yaml"))}
CASES = 400  # per strategy below
FUZZ = settings(max_examples=CASES, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def load(content: bytes) -> None:
    """Load a knowledge base of one file; valid content loads, invalid raises InvalidContent with file+line."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "content" / "fuzz.yaml"
        path.parent.mkdir()
        path.write_bytes(content)
        try:
            load_knowledge_base(path.parent, Path(folder) / "no-synonyms.yaml")
        except InvalidContent as err:
            assert err.problems
            for problem in err.problems:
                assert problem.file == str(path), problem
                assert problem.line is not None and problem.line >= 1, f"no line in {problem}"
                assert "Traceback" not in str(problem)


@FUZZ
@given(name=st.sampled_from(sorted(SHIPPED)), cut=st.floats(0, 1))
def test_a_truncated_content_file_is_reported_with_file_and_line(name: str, cut: float) -> None:
    content = SHIPPED[name]
    load(content[: int(len(content) * cut)])


@FUZZ
@given(name=st.sampled_from(sorted(SHIPPED)), at=st.floats(0, 1), junk=st.binary(min_size=1, max_size=8))
def test_a_corrupted_content_file_is_reported_with_file_and_line(name: str, at: float, junk: bytes) -> None:
    content = SHIPPED[name]
    i = int(len(content) * at)
    load(content[:i] + junk + content[i + len(junk):])


@FUZZ
@given(text=st.one_of(st.text(max_size=300), st.text(alphabet=":-[]{}&*!|>'\"%@`#, \n\t\\ab1", max_size=300)))
def test_random_text_as_a_content_file_is_reported_with_file_and_line(text: str) -> None:
    load(text.encode("utf-8", "surrogatepass"))
