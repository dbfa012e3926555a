"""Entry vectors from a sentence encoder: one centroid per entry, cached in the data folder.

The phrasings' vectors are written to `<cache>/<encoder>-<hash>.npy`, the hash taken over the encoder's
name and every text in order, so a knowledge base that changed in any way is encoded again and one that
did not loads in milliseconds. A changed knowledge base is encoded on a thread of lower CPU priority
(`in_background`): on a busy two-core server, turns keep the CPU first.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from kb.encoders import Encoder, FloatArray

log = logging.getLogger(__name__)
CACHE_FOLDER = "kb-encoded"  # in the settings' data folder
BACKGROUND_NICENESS = 10  # added to the nice value of the thread that encodes entries in the background


def in_background(target: Callable[..., None], *args: object, name: str) -> threading.Thread:
    """Run `target(*args)` on a daemon thread whose nice value is raised (Linux keeps one per thread)."""

    def run() -> None:
        lower_priority(BACKGROUND_NICENESS)
        target(*args)

    thread = threading.Thread(target=run, daemon=True, name=name)
    thread.start()
    return thread


def lower_priority(by: int) -> None:
    """Raise the calling thread's nice value (no-op where threads have none of their own)."""
    try:
        me = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, me, os.getpriority(os.PRIO_PROCESS, me) + by)
    except (AttributeError, OSError) as err:
        log.debug("could not lower the encoding thread's priority: %s", err)


def cache_key(encoder: Encoder, texts: Sequence[str]) -> str:
    digest = hashlib.sha256(encoder.name.encode())
    for text in texts:
        digest.update(b"\x00" + text.encode("utf-8"))
    return f"{encoder.name}-{digest.hexdigest()[:20]}"


def cached_vectors(encoder: Encoder, texts: Sequence[str], cache: Path | None) -> FloatArray | None:
    """The phrasings' vectors if this exact list was encoded before, else None."""
    if cache is None:
        return None
    path = cache / f"{cache_key(encoder, texts)}.npy"
    try:
        found = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    return found.astype(np.float32) if found.shape[0] == len(texts) else None


def encode_and_cache(
    encoder: Encoder, texts: Sequence[str], cache: Path | None, progress: Callable[[int], None] | None = None
) -> FloatArray:
    """Encode the texts (in batches, reporting how many are done) and keep the result for next time."""
    parts: list[FloatArray] = []
    for start in range(0, len(texts), 32):
        parts.append(encoder.passages(texts[start : start + 32]))
        if progress:
            progress(min(start + 32, len(texts)))
    vectors = np.concatenate(parts) if parts else np.zeros((0, 1), np.float32)
    if cache is not None:
        try:
            cache.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=cache, suffix=".npy", delete=False) as handle:
                np.save(handle, vectors, allow_pickle=False)
            os.replace(handle.name, cache / f"{cache_key(encoder, texts)}.npy")
        except OSError as err:
            log.warning("could not cache the entry vectors in %s: %s", cache, err)
    return vectors


def _unit_rows(matrix: FloatArray) -> FloatArray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: FloatArray = (matrix / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


class EncodedIndex:
    """Unit centroids of each entry's phrasing vectors; entry i owns the rows `owners == i`.

    With `best_share`, an entry's cosine mixes in its best single phrasing's: `(1 - s) * centroid + s * best`
    (a phrasing said in few words is close to one phrasing, not to the entry's average). With `centre`, the
    mean of the phrasings' vectors is taken from them and from each query before the cosine (what every text
    of this knowledge base shares says nothing about which entry a query means).
    """

    def __init__(
        self,
        encoder: Encoder,
        vectors: FloatArray,
        owners: Sequence[int],
        size: int,
        best_share: float = 0.0,
        centre: bool = False,
    ) -> None:
        self.encoder = encoder
        self.size = size
        dims = vectors.shape[1] if vectors.ndim == 2 and len(vectors) else 1
        self._mean: FloatArray | None = None
        if centre and len(vectors):
            self._mean = vectors.mean(axis=0).astype(np.float32)
            vectors = _unit_rows(vectors - self._mean)
        sums = np.zeros((size, dims), dtype=np.float32)
        self._owners = np.asarray(owners, dtype=np.int64)
        if len(vectors):
            np.add.at(sums, self._owners, vectors)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        self.centroids = (sums / np.maximum(norms, 1e-12)).astype(np.float32)
        self.best_share = best_share if len(vectors) else 0.0
        self._phrasings = np.ascontiguousarray(vectors, dtype=np.float32) if self.best_share else None

    def query(self, text: str) -> FloatArray:
        """The query's unit vector (the encoders keep their last ones: kb.encoders.Recent)."""
        found: FloatArray = self.encoder.queries([text])[0]
        return found if self._mean is None else _unit_rows((found - self._mean)[None, :])[0]

    def cosines(self, query: FloatArray) -> FloatArray:
        """The query's cosine to every entry."""
        found: FloatArray = np.einsum("ij,j->i", self.centroids, query)  # einsum: no threaded BLAS stalls
        if self._phrasings is None:
            return found
        each = np.einsum("ij,j->i", self._phrasings, query)
        best = np.full(self.size, -1.0, dtype=np.float32)
        np.maximum.at(best, self._owners, each)
        best = np.where(best > -1.0, best, found)  # an entry without phrasings keeps its centroid's (zero)
        mixed: FloatArray = ((1.0 - self.best_share) * found + self.best_share * best).astype(np.float32)
        return mixed
