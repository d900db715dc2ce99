"""How dense search scales: FAISS index types over the real corpus plus N random vectors.

``attest bench retrieval --synthetic N`` builds, for each factory string (``Flat``, ``HNSW32``,
``IVF<lists>,Flat``), an index of the corpus's chunk vectors plus ``N`` random unit vectors, then
searches it with real questions' embeddings and reports build time, p50/p95 latency of one
query (k=10) and recall@10 against exact search, for a few settings of the search effort
(``efSearch`` for HNSW, ``nprobe`` for IVF).

Random unit vectors in a high dimension sit far from every real question (cosine ~ 0 ± 0.05),
much like unrelated documents, so the real chunks remain the true neighbours: the benchmark
asks whether an approximate index still finds them among N distractors.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from eval.metrics import percentile


@dataclass(frozen=True)
class ScaleRow:
    """One factory at one search effort."""

    factory: str
    effort: str
    n: int
    build_s: float
    p50_ms: float
    p95_ms: float
    recall_at_10: float


def default_factories(n: int) -> list[str]:
    """Flat, HNSW32 and an IVF with about ``4 * sqrt(n)`` lists (a power of two).

    Example::

        >>> default_factories(1_000_000)
        ['Flat', 'HNSW32', 'IVF4096,Flat']
    """
    lists = 2 ** max(4, round(math.log2(4 * math.sqrt(max(n, 1)))))
    return ["Flat", "HNSW32", f"IVF{lists},Flat"]


def random_unit_vectors(n: int, dim: int, seed: int = 0, batch: int = 100_000) -> np.ndarray:
    """``n`` random unit vectors (float32), generated in batches to bound memory."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, batch):
        block = rng.standard_normal((min(batch, n - start), dim), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start : start + len(block)] = block
    return out


def _efforts(factory: str) -> list[tuple[str, int | None]]:
    if factory.startswith("HNSW"):
        return [("efSearch", e) for e in (32, 64, 128)]
    if factory.startswith("IVF"):
        return [("nprobe", p) for p in (8, 16, 32, 64)]
    return [("exact", None)]


def _time_queries(index, queries: np.ndarray, k: int, params) -> tuple[list[float], np.ndarray]:
    latencies, found = [], []
    for q in queries:
        t = time.perf_counter()
        _, ids = index.search(q.reshape(1, -1), k, params=params)
        latencies.append((time.perf_counter() - t) * 1000)
        found.append(ids[0])
    return latencies, np.array(found)


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of the true top-k ids that a search returned.

    Example::

        >>> recall_at_k(np.array([[1, 2], [3, 9]]), np.array([[2, 1], [3, 4]]))
        0.75
    """
    hits = [
        len(set(f.tolist()) & set(t.tolist())) / len(t) for f, t in zip(found, truth, strict=True)
    ]
    return float(np.mean(hits)) if hits else 0.0


def run_scale(
    corpus_vectors: np.ndarray,
    queries: np.ndarray,
    n: int,
    factories: Sequence[str] | None = None,
    *,
    k: int = 10,
    seed: int = 0,
    log=print,
) -> Iterable[ScaleRow]:
    """Yield one :class:`ScaleRow` per factory and search effort (see the module docstring)."""
    import faiss

    from rag.retrieval.vectors import make_faiss

    dim = corpus_vectors.shape[1]
    data = np.concatenate([corpus_vectors.astype(np.float32), random_unit_vectors(n, dim, seed)])
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    _, truth = faiss.knn(queries, data, k, metric=faiss.METRIC_INNER_PRODUCT)  # exact top-k
    for factory in factories or default_factories(n):
        log(f"building {factory} over {len(data):,} vectors…")
        t = time.perf_counter()
        index = make_faiss(data, factory)
        build_s = time.perf_counter() - t
        for name, value in _efforts(factory):
            if name == "nprobe":
                params = faiss.SearchParametersIVF(nprobe=value)
            elif name == "efSearch":
                params = faiss.SearchParametersHNSW(efSearch=value)
            else:
                params = None
            latencies, found = _time_queries(index, queries, k, params)
            yield ScaleRow(
                factory,
                f"{name}={value}" if value else name,
                len(data),
                round(build_s, 2),
                round(percentile(latencies, 50), 3),
                round(percentile(latencies, 95), 3),
                round(recall_at_k(found, truth), 4),
            )
        del index
