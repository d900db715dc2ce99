"""Fusion of the dense and lexical rankings, and diversity (MMR), over candidate chunk ids.

Pure functions over plain dicts and arrays, so each rule is testable alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np

Mode = Literal["hybrid", "dense", "bm25"]


def ranks(scores: Mapping[int, float], limit: int) -> dict[int, int]:
    """1-based ranks of the top ``limit`` ids by score (ties broken by id).

    Example::

        >>> ranks({7: 0.5, 3: 0.9, 5: 0.5}, 2)
        {3: 1, 5: 2}
    """
    order = sorted(scores, key=lambda i: (-scores[i], i))[:limit]
    return {i: r + 1 for r, i in enumerate(order)}


def rrf(cands: Sequence[int], drank: Mapping[int, int], lrank: Mapping[int, int], k: int):
    """Reciprocal-rank fusion: ``1/(k + dense rank) + 1/(k + lexical rank)`` (0 where unranked).

    Example::

        >>> rrf([1, 2], {1: 1, 2: 2}, {2: 1}, 60) == {1: 1 / 61, 2: 1 / 62 + 1 / 61}
        True
    """
    return {
        i: (1.0 / (k + drank[i]) if i in drank else 0.0)
        + (1.0 / (k + lrank[i]) if i in lrank else 0.0)
        for i in cands
    }


def weighted(
    cands: Sequence[int], dense: Mapping[int, float], lexical: Mapping[int, float], w: float
) -> dict[int, float]:
    """``w`` × min-max normalised dense score + ``(1 - w)`` × max-normalised BM25 score.

    Example::

        >>> weighted([1, 2], {1: 0.2, 2: 0.6}, {1: 4.0, 2: 0.0}, 0.5)
        {1: 0.5, 2: 0.5}
    """
    d = np.array([dense[i] for i in cands], dtype=np.float64)
    lx = np.array([lexical.get(i, 0.0) for i in cands], dtype=np.float64)
    d = (d - d.min()) / (d.max() - d.min()) if d.max() > d.min() else np.ones_like(d)
    lx = lx / lx.max() if len(lx) and lx.max() > 0 else np.zeros_like(lx)
    return {i: float(w * a + (1 - w) * b) for i, a, b in zip(cands, d, lx, strict=True)}


def mmr(
    order: list[int], fused: Mapping[int, float], vectors: np.ndarray, k: int, lam: float
) -> list[int]:
    """Maximal marginal relevance: ``k`` of ``order`` trading relevance for novelty.

    ``vectors[j]`` is the embedding of ``order[j]``.

    Example::

        >>> v = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
        >>> mmr([0, 1, 2], {0: 1.0, 1: 0.9, 2: 0.5}, v, 2, 0.5)
        [0, 2]
    """
    if not order:
        return order
    rel = np.array([fused[i] for i in order])
    span = rel.max() - rel.min()
    rel = (rel - rel.min()) / span if span > 0 else np.ones_like(rel)
    chosen: list[int] = []
    left = list(range(len(order)))
    while left and len(chosen) < k:
        sim = (vectors[left] @ vectors[chosen].T).max(axis=1) if chosen else np.zeros(len(left))
        scores = lam * rel[left] - (1 - lam) * sim
        best = left[int(np.argmax(scores))]
        chosen.append(best)
        left.remove(best)
    return [order[j] for j in chosen]


def interleave(groups: Sequence[Sequence], k: int, key=lambda h: h.chunk.id) -> list:
    """Round-robin over ranked groups (A1, B1, A2, B2, ...), each item once, at most ``k``.

    Example::

        >>> interleave([["a1", "a2"], ["b1", "a1"]], 3, key=str)
        ['a1', 'b1', 'a2']
    """
    out: list = []
    seen: set = set()
    for r in range(max((len(g) for g in groups), default=0)):
        for g in groups:
            if r < len(g) and key(g[r]) not in seen:
                out.append(g[r])
                seen.add(key(g[r]))
    return out[:k]
