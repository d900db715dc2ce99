"""The dense half of the index: a FAISS index over L2-normalised chunk embeddings.

Search always goes through FAISS (``index.search``), so ``faiss_factory`` decides how vectors are
searched, not only how they are stored: ``Flat`` is exact; ``HNSW32`` and ``IVFn,Flat`` are
approximate and scale to millions of vectors (their effort is set by ``faiss_ef_search`` and
``faiss_nprobe``). An author or work filter becomes an ID selector inside the search itself.
Only the few vectors that scoring needs are read back (:func:`reconstruct`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from corpus.errors import IndexFileError


def make_faiss(vectors: np.ndarray, factory: str) -> Any:
    """A FAISS index (inner product) built by ``factory`` over ``vectors``, trained if needed.

    Example::

        >>> make_faiss(np.eye(4, dtype=np.float32), "Flat").ntotal
        4
    """
    import faiss

    n, dim = vectors.shape
    try:
        index = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
    except Exception as exc:
        raise IndexFileError(
            f"faiss_factory {factory!r} is not a valid FAISS index-factory string ({exc}); "
            "set faiss_factory to e.g. 'Flat' or 'HNSW32'"
        ) from exc
    if not index.is_trained:
        try:
            index.train(vectors)
        except Exception as exc:
            raise IndexFileError(
                f"cannot train FAISS index {factory!r} on {n} vectors ({exc}); use fewer lists "
                "(e.g. 'IVF16,Flat') or faiss_factory='Flat' for a small corpus"
            ) from exc
    if n:
        index.add(vectors)
    return index


def search_params(index: Any, ids: Sequence[int] | np.ndarray | None, nprobe: int, ef: int):
    """FAISS search parameters for ``index``: an ID selector for ``ids`` and the effort knobs of
    its kind (``nprobe`` for IVF, ``efSearch`` for HNSW); None when nothing is to be set."""
    import faiss

    sel = None if ids is None else faiss.IDSelectorBatch(np.asarray(ids, dtype=np.int64))
    if faiss.try_extract_index_ivf(index) is not None:
        return faiss.SearchParametersIVF(sel=sel, nprobe=nprobe)
    if isinstance(faiss.downcast_index(index), faiss.IndexHNSW):
        return faiss.SearchParametersHNSW(sel=sel, efSearch=ef)
    return None if sel is None else faiss.SearchParameters(sel=sel)


def search(
    index: Any,
    query: np.ndarray,
    k: int,
    ids: Sequence[int] | np.ndarray | None = None,
    *,
    nprobe: int = 16,
    ef: int = 64,
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` (scores, ids) for one query vector, only among ``ids`` when given.

    Example::

        >>> idx = make_faiss(np.eye(3, dtype=np.float32), "Flat")
        >>> search(idx, np.array([0.0, 1.0, 0.2], dtype=np.float32), 2)[1].tolist()
        [1, 2]
        >>> search(idx, np.array([0.0, 1.0, 0.2], dtype=np.float32), 2, ids=[0, 2])[1].tolist()
        [2, 0]
    """
    n = index.ntotal if ids is None else len(ids)
    k = min(k, n)
    if k <= 0:
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
    q = np.ascontiguousarray(np.asarray(query, dtype=np.float32).reshape(1, -1))
    scores, found = index.search(q, k, params=search_params(index, ids, nprobe, ef))
    keep = found[0] >= 0
    return scores[0][keep], found[0][keep]


def reconstruct(index: Any, ids: Sequence[int] | np.ndarray) -> np.ndarray:
    """The stored vectors of ``ids`` (an IVF index gets the direct map it needs first).

    Example::

        >>> reconstruct(make_faiss(np.eye(3, dtype=np.float32), "Flat"), [2]).tolist()
        [[0.0, 0.0, 1.0]]
    """
    import faiss

    ids = np.asarray(ids, dtype=np.int64)
    if not len(ids):
        return np.zeros((0, index.d), dtype=np.float32)
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None and ivf.direct_map.type == faiss.DirectMap.NoMap:
        ivf.make_direct_map()
    return np.asarray(index.reconstruct_batch(ids), dtype=np.float32)
