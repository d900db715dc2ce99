"""The dense path searches with FAISS: the factory string changes the search that runs."""

from __future__ import annotations

import numpy as np
import pytest

from corpus.settings import get_settings
from eval.scale import random_unit_vectors
from rag.retrieval import vectors
from rag.retrieval.search import retrieve
from rag.retrieval.store import build_index


def clustered(n: int, dim: int = 32, clusters: int = 64, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = random_unit_vectors(clusters, dim, seed)
    x = centres[rng.integers(0, clusters, n)] + 0.3 * rng.standard_normal((n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_an_approximate_factory_changes_the_search_that_runs() -> None:
    data, queries = clustered(4000), clustered(50, seed=2)
    exact = vectors.make_faiss(data, "Flat")
    ivf = vectors.make_faiss(data, "IVF64,Flat")
    truth = [set(vectors.search(exact, q, 10)[1].tolist()) for q in queries]
    one = [set(vectors.search(ivf, q, 10, nprobe=1)[1].tolist()) for q in queries]
    every = [set(vectors.search(ivf, q, 10, nprobe=64)[1].tolist()) for q in queries]
    # Visiting one inverted list of 64 misses true neighbours; visiting all finds them all.
    assert sum(len(a & b) for a, b in zip(one, truth, strict=True)) < 0.9 * 10 * len(queries)
    assert every == truth


def test_hnsw_effort_is_applied(monkeypatch) -> None:
    data = clustered(2000)
    hnsw = vectors.make_faiss(data, "HNSW8")
    seen = []
    real = hnsw.search

    def spy(q, k, params=None):
        seen.append(params.efSearch)
        return real(q, k, params=params)

    monkeypatch.setattr(hnsw, "search", spy)
    vectors.search(hnsw, data[0], 5, ef=77)
    assert seen == [77]


def test_filters_run_inside_the_faiss_search() -> None:
    data = clustered(500)
    index = vectors.make_faiss(data, "HNSW16")
    allowed = np.arange(0, 500, 7)
    _, ids = vectors.search(index, data[3], 10, allowed, ef=200)
    assert len(ids) == 10 and set(ids.tolist()) <= set(allowed.tolist())


@pytest.mark.parametrize("factory", ["Flat", "HNSW16", "IVF2,Flat"])
def test_retrieve_searches_with_faiss_and_reads_back_only_candidates(
    settings, make, fake_embedder, factory, monkeypatch
) -> None:
    ps = [make(f"Paragraph {i} on grain, famine and terror number {i}.", n=i) for i in range(40)]
    s = get_settings(settings, faiss_factory=factory, candidate_k=5)
    index = build_index(s, embedder=fake_embedder, passages=ps, log=lambda m: None)
    assert index.manifest["faiss_factory"] == factory
    calls: list[int] = []
    real_search, real_recon = vectors.search, vectors.reconstruct
    monkeypatch.setattr(
        vectors, "search", lambda *a, **k: calls.append(a[2]) or real_search(*a, **k)
    )
    read_back: list[int] = []
    monkeypatch.setattr(
        vectors, "reconstruct", lambda idx, ids: read_back.append(len(ids)) or real_recon(idx, ids)
    )
    hits = retrieve("famine terror", 3, settings=s, index=index, embedder=fake_embedder)
    assert len(hits) == 3 and calls == [5]
    # At most the lexical candidates the dense search missed are read back, never all 40.
    assert sum(read_back) <= 5
