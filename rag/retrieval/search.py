"""Hybrid, author-aware search over the index. Owned by the retrieval stage.

One query runs through these steps:

1. *Plan*: explicit ``authors``/``works`` filters restrict the search; otherwise the authors and
   works the question names (:mod:`rag.text.names`) restrict it (or boost them, per
   ``settings.detected_authors``). Two or more authors make a *balanced* search: each author's
   best passages, interleaved, so an answer can show each side.
2. *Score*: dense candidates come from a FAISS search (inner product of normalised embeddings,
   the filter as an ID selector inside the search); lexical ones from BM25 over header + text.
3. *Fuse*: reciprocal-rank fusion or a weighted sum of normalised scores (``settings.fusion``);
   footnote chunks are damped by ``footnote_penalty``; optional MMR for diversity.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from corpus.settings import Settings, get_settings
from rag.retrieval import fusion
from rag.retrieval.chunking import Chunk
from rag.retrieval.fusion import Mode
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
            found = [
                (
                    a,
                    _ids_where(
                        index, lambda c, a=a: c.author == a and (not wset or c.work_id in wset)
                    ),
                )
                for a in names
            ]
            # An author with no passage under the filter searches nothing: leave the group out.
            found = [(a, ids) for a, ids in found if len(ids)]
            return Plan(tuple(ids for _a, ids in found), tuple(a for a, _ids in found), detection)
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


def _candidates(
    ids: np.ndarray | None, limit: int, qvec: np.ndarray, lexical: np.ndarray, index: Any
) -> tuple[dict[int, float], dict[int, float]]:
    """Dense candidates (FAISS search among ``ids``) and lexical ones (BM25 > 0), with scores."""
    dscores, dids = index.dense_search(qvec, limit, ids)
    dense = {int(i): float(v) for i, v in zip(dids, dscores, strict=True)}
    allowed = np.arange(len(index.chunks), dtype=np.int64) if ids is None else ids
    allowed = allowed[lexical[allowed] > 0]
    top = allowed[np.lexsort((allowed, -lexical[allowed]))[:limit]]
    return dense, {int(i): float(lexical[i]) for i in top}


def _fused(cands, dense, lex, drank, lrank, s: Settings, mode: Mode) -> dict[int, float]:
    if mode == "dense":
        return {i: dense[i] for i in cands}
    if mode == "bm25":
        return {i: lex.get(i, 0.0) for i in cands}
    if s.fusion == "rrf":
        return fusion.rrf(cands, drank, lrank, s.rrf_k)
    return fusion.weighted(cands, dense, lex, s.dense_weight)


def _adjust(fused: dict[int, float], index: Any, s: Settings, boost: np.ndarray | None) -> None:
    """Damp footnote chunks by ``footnote_penalty``; lift boosted (detected-author) chunks."""
    boosted = set(boost.tolist()) if boost is not None else set()
    for i, v in fused.items():
        if index.chunks[i].kind == "footnote":
            # Damp toward the bottom whatever the score's sign.
            v = v * s.footnote_penalty if v >= 0 else v / max(s.footnote_penalty, 1e-6)
        if i in boosted:
            factor = 1.0 + s.author_boost
            v = v * factor if v >= 0 else v / factor
        fused[i] = v


def _rank_group(
    ids: np.ndarray | None,
    k: int,
    qvec: np.ndarray,
    lexical: np.ndarray,
    index: Any,
    s: Settings,
    mode: Mode,
    boost: np.ndarray | None,
) -> list[Hit]:
    limit = max(s.candidate_k, k)
    dense, lex = _candidates(ids, limit, qvec, lexical, index)
    drank, lrank = fusion.ranks(dense, limit), fusion.ranks(lex, limit)
    if mode == "dense":
        cands = list(drank)
    elif mode == "bm25":
        cands = list(lrank) or list(drank)  # no query word known: fall back to dense order
        mode = mode if lrank else "dense"
    else:
        cands = list(dict.fromkeys([*drank, *lrank]))
    # Exact dense scores for lexical candidates the dense search did not return: read back
    # only their vectors, never the whole index.
    missing = [i for i in cands if i not in dense]
    if missing:
        dense.update(zip(missing, (index.vectors_of(missing) @ qvec).tolist(), strict=True))
    fused = _fused(cands, dense, lex, drank, lrank, s, mode)
    _adjust(fused, index, s, boost)
    order = sorted(cands, key=lambda i: (-fused[i], i))
    if s.mmr_lambda is not None and mode != "bm25":
        pool = order[: max(4 * k, 20)]
        order = fusion.mmr(pool, fused, index.vectors_of(pool), k, s.mmr_lambda)
    return [
        Hit(
            chunk=index.chunks[i],
            score=fused[i],
            dense_score=dense[i],
            lexical_score=float(lexical[i]),
            dense_rank=drank.get(i),
            lexical_rank=lrank.get(i),
        )
        for i in order[:k]
    ]


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
    if not plan.groups or any(g is not None and not len(g) for g in plan.groups):
        return []  # the filters leave no passage to search
    qvec = np.asarray(embedder.encode([query])[0], dtype=np.float32)
    n = len(index.chunks)
    lexical = index.lexical_scores(lexical_query(query)) if mode != "dense" else np.zeros(n)
    if len(plan.groups) == 1:
        return _rank_group(plan.groups[0], k, qvec, lexical, index, s, mode, plan.boost)
    per = max(k, math.ceil(k / len(plan.groups)))
    ranked = [_rank_group(g, per, qvec, lexical, index, s, mode, None) for g in plan.groups]
    return fusion.interleave(ranked, k)
