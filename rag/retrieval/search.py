"""Hybrid, author-aware search over the index. Owned by the retrieval stage.

One query runs through these steps:

1. *Plan*: explicit ``authors``/``works`` filters restrict the search; otherwise the authors and
   works the question names (:mod:`rag.text.names`) restrict it (or boost them, per
   ``settings.detected_authors``). Two or more authors make a *balanced* search: each author's
   best passages, interleaved, so an answer can show each side.
2. *Score*: dense (FAISS inner product of normalised embeddings) and lexical (BM25 over header +
   text) scores, each over the allowed chunks.
3. *Fuse*: reciprocal-rank fusion or a weighted sum of normalised scores (``settings.fusion``);
   footnote chunks are damped by ``footnote_penalty``; optional MMR for diversity.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from corpus.settings import Settings, get_settings
from rag.retrieval.chunking import Chunk
from rag.text.names import Detection, detect_authors


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk with the scores that ranked it (ranks are 1-based, None = not found)."""

    chunk: Chunk
    score: float
    dense_score: float | None = None
    lexical_score: float | None = None
    dense_rank: int | None = None
    lexical_rank: int | None = None


Mode = Literal["hybrid", "dense", "bm25"]


@dataclass(frozen=True)
class Plan:
    """Which chunks a query may return, in groups (one per author in a balanced search).

    ``groups`` holds chunk-id index arrays (None = the whole index); ``boost`` marks chunk ids
    whose fused score is multiplied by ``1 + author_boost`` (detected authors in boost mode).
    """

    groups: tuple[np.ndarray | None, ...]
    labels: tuple[str, ...]
    detection: Detection
    boost: np.ndarray | None = None


# --- planning ----------------------------------------------------------------------------------


def index_works(index: Any, settings: Settings) -> list[Any]:
    """The works behind the index's chunks: the catalog's (with aliases and source) when it
    loads, else derived from the chunks themselves."""
    cached = getattr(index, "_works_cache", None)
    if cached is not None:
        return cached
    present = {c.work_id for c in index.chunks}
    works: list[Any] = []
    try:
        from corpus.catalog import load_catalog

        works = [w for w in load_catalog(settings, verify=False).works if w.work_id in present]
    except Exception:
        works = []
    if {getattr(w, "work_id", None) for w in works} != present:
        seen: dict[str, dict[str, Any]] = {}
        for c in index.chunks:
            seen.setdefault(
                c.work_id,
                {"work_id": c.work_id, "author": c.author, "title": c.title, "year": c.year},
            )
        works = list(seen.values())
    index._works_cache = works
    return works


def _ids_where(index: Any, pred: Any) -> np.ndarray:
    return np.fromiter((i for i, c in enumerate(index.chunks) if pred(c)), dtype=np.int64)


def _resolve_author(name: str, index: Any) -> str | None:
    key = name.strip().casefold()
    for a in index.authors:
        if a.casefold() == key or a.split()[-1].casefold() == key:
            return a
    return None


def plan_query(
    query: str,
    index: Any,
    settings: Settings,
    authors: Sequence[str] | None = None,
    works: Sequence[str] | None = None,
) -> Plan:
    """Decide which chunks the query searches (see the module docstring)."""
    if authors or works:
        names = [_resolve_author(a, index) or a for a in (authors or ())]
        wset = set(works or ())
        detection = Detection(tuple(names), tuple(wset))
        if len(names) >= 2 and settings.balanced_authors:
            groups = tuple(
                _ids_where(index, lambda c, a=a: c.author == a and (not wset or c.work_id in wset))
                for a in names
            )
            return Plan(groups, tuple(names), detection)
        ids = _ids_where(
            index,
            lambda c: (not names or c.author in names) and (not wset or c.work_id in wset),
        )
        return Plan((ids,), ("filter",), detection)

    detection = detect_authors(query, index_works(index, settings))
    if settings.detected_authors == "ignore" or detection.empty:
        return Plan((None,), ("all",), detection)

    def author_ids(a: str) -> np.ndarray:
        own = detection.works_for(a)
        return _ids_where(index, lambda c: c.author == a and (not own or c.work_id in own))

    if detection.authors:
        per_author = [(a, author_ids(a)) for a in detection.authors]
    else:  # works named without an author (an editor's volume)
        wset = set(detection.works)
        per_author = [("works", _ids_where(index, lambda c: c.work_id in wset))]
    per_author = [(a, ids) for a, ids in per_author if len(ids)]
    if not per_author:
        return Plan((None,), ("all",), detection)
    if settings.detected_authors == "boost":
        boost = np.unique(np.concatenate([ids for _, ids in per_author]))
        return Plan((None,), ("all",), detection, boost=boost)
    if len(per_author) >= 2 and settings.balanced_authors:
        return Plan(tuple(ids for _, ids in per_author), tuple(a for a, _ in per_author), detection)
    ids = np.unique(np.concatenate([ids for _, ids in per_author]))
    return Plan((ids,), ("detected",), detection)


# --- scoring -----------------------------------------------------------------------------------

_BOILERPLATE = re.compile(
    r"^\s*(?:according\s+to\s+[^,?]{1,60},\s*|in\s+[^,?]{1,60}\s+(?:essay|view|account|article),\s*)",
    re.IGNORECASE,
)


def lexical_query(query: str) -> str:
    """The query as BM25 sees it: a leading "According to X," / "In X's essay," clause dropped
    (stopwords are removed later by the tokenizer).

    Example::

        >>> lexical_query("According to Ticktin, what devices tracked workers?")
        'what devices tracked workers?'
    """
    return _BOILERPLATE.sub("", query, count=1)


def _ranks(scores: np.ndarray, ids: np.ndarray, limit: int) -> dict[int, int]:
    """1-based ranks of the top ``limit`` of ``ids`` by ``scores`` (ties broken by id)."""
    if not len(ids):
        return {}
    sub = scores[ids]
    order = np.lexsort((ids, -sub))[:limit]
    return {int(ids[j]): r + 1 for r, j in enumerate(order)}


def _fuse(
    cands: list[int],
    dense: np.ndarray,
    lexical: np.ndarray,
    drank: dict[int, int],
    lrank: dict[int, int],
    settings: Settings,
    mode: Mode,
) -> dict[int, float]:
    if mode == "dense":
        return {i: float(dense[i]) for i in cands}
    if mode == "bm25":
        return {i: float(lexical[i]) for i in cands}
    if settings.fusion == "rrf":
        k = settings.rrf_k
        return {
            i: (1.0 / (k + drank[i]) if i in drank else 0.0)
            + (1.0 / (k + lrank[i]) if i in lrank else 0.0)
            for i in cands
        }
    d = np.array([dense[i] for i in cands], dtype=np.float64)
    lx = np.array([lexical[i] for i in cands], dtype=np.float64)
    d = (d - d.min()) / (d.max() - d.min()) if d.max() > d.min() else np.ones_like(d)
    lx = lx / lx.max() if lx.max() > 0 else np.zeros_like(lx)
    w = settings.dense_weight
    return {i: float(w * a + (1 - w) * b) for i, a, b in zip(cands, d, lx, strict=True)}


def _mmr(
    order: list[int], fused: dict[int, float], vectors: np.ndarray, k: int, lam: float
) -> list[int]:
    if not order:
        return order
    rel = np.array([fused[i] for i in order])
    span = rel.max() - rel.min()
    rel = (rel - rel.min()) / span if span > 0 else np.ones_like(rel)
    vecs = vectors[order]
    chosen: list[int] = []
    left = list(range(len(order)))
    while left and len(chosen) < k:
        sim = (vecs[left] @ vecs[chosen].T).max(axis=1) if chosen else np.zeros(len(left))
        scores = lam * rel[left] - (1 - lam) * sim
        best = left[int(np.argmax(scores))]
        chosen.append(best)
        left.remove(best)
    return [order[j] for j in chosen]


def _rank_group(
    ids: np.ndarray | None,
    k: int,
    dense: np.ndarray,
    lexical: np.ndarray,
    index: Any,
    settings: Settings,
    mode: Mode,
    boost: np.ndarray | None,
) -> list[Hit]:
    n = len(index.chunks)
    allowed = np.arange(n, dtype=np.int64) if ids is None else ids
    limit = max(settings.candidate_k, k)
    drank = _ranks(dense, allowed, limit)
    lrank = _ranks(lexical, allowed[lexical[allowed] > 0], limit)
    if mode == "dense":
        cands = list(drank)
    elif mode == "bm25":
        cands = list(lrank) or list(drank)  # no query word known: fall back to dense order
        if not lrank:
            mode = "dense"
    else:
        cands = list(dict.fromkeys([*drank, *lrank]))
    fused = _fuse(cands, dense, lexical, drank, lrank, settings, mode)
    penalty = settings.footnote_penalty
    boosted = set(boost.tolist()) if boost is not None else set()
    for i in cands:
        if index.chunks[i].kind == "footnote":
            s = fused[i]
            # Damp toward the bottom whatever the score's sign.
            fused[i] = s * penalty if s >= 0 else s / max(penalty, 1e-6)
        if i in boosted:
            s = fused[i]
            factor = 1.0 + settings.author_boost
            fused[i] = s * factor if s >= 0 else s / factor
    order = sorted(cands, key=lambda i: (-fused[i], i))
    if settings.mmr_lambda is not None and mode != "bm25":
        order = _mmr(order[: max(4 * k, 20)], fused, index.vectors(), k, settings.mmr_lambda)
    return [
        Hit(
            chunk=index.chunks[i],
            score=fused[i],
            dense_score=float(dense[i]),
            lexical_score=float(lexical[i]),
            dense_rank=drank.get(i),
            lexical_rank=lrank.get(i),
        )
        for i in order[:k]
    ]


def _interleave(groups: list[list[Hit]], k: int) -> list[Hit]:
    out: list[Hit] = []
    seen: set[str] = set()
    for r in range(max((len(g) for g in groups), default=0)):
        for g in groups:
            if r < len(g) and g[r].chunk.id not in seen:
                out.append(g[r])
                seen.add(g[r].chunk.id)
    return out[:k]


def retrieve(
    query: str,
    k: int | None = None,
    authors: Sequence[str] | None = None,
    works: Sequence[str] | None = None,
    settings: Settings | None = None,
    *,
    index: Any = None,
    embedder: Any = None,
    mode: Mode = "hybrid",
) -> list[Hit]:
    """The ``k`` (default ``settings.retrieval_k``) best chunks for ``query``, best first.

    ``authors`` (full names or surnames) and ``works`` (work ids) restrict the search; with
    neither, authors and works named in the query are detected. ``mode`` selects hybrid fusion
    (default) or one signal alone (evaluation). A balanced search over several authors returns
    their best chunks interleaved (A1, B1, A2, B2, ...).
    """
    s = get_settings(settings)
    k = k or s.retrieval_k
    if embedder is None:
        from embeddings.factory import get_embedder

        embedder = get_embedder(s)
    if index is None:
        from rag.retrieval.store import get_index

        index = get_index(s, embedder)
    if not len(index.chunks) or not query.strip():
        return []
    plan = plan_query(query, index, s, authors, works)
    qvec = embedder.encode([query])[0]
    dense = index.dense_scores(qvec)
    lexical = (
        index.lexical_scores(lexical_query(query)) if mode != "dense" else np.zeros(len(dense))
    )
    if len(plan.groups) == 1:
        return _rank_group(plan.groups[0], k, dense, lexical, index, s, mode, plan.boost)
    per = max(k, math.ceil(k / len(plan.groups)))
    ranked = [_rank_group(g, per, dense, lexical, index, s, mode, None) for g in plan.groups]
    return _interleave(ranked, k)
