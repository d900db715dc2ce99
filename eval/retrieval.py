"""Retrieval evaluation: does search put a gold evidence passage in the top k?

A retrieved chunk *hits* a gold quote when it comes from the quote's file and contains at least
``HIT_COVERAGE`` of the quote's characters (``corpus.locate.coverage``). Per answerable question:

- hit@k    1 when any of the top k chunks hits any gold quote;
- recall@k share of the question's gold quotes hit by the top k;
- MRR@k    1 / rank of the first hitting chunk (0 when none);
- nDCG@k   binary gains, a chunk gaining 1 for each *new* gold quote it hits (so a second chunk
  with the same quote adds nothing); the ideal ranks one quote per position.

A gold quote that no chunk of the index covers cannot be hit by any ranking; their count is
reported (it must be 0).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from corpus.settings import Settings, get_settings
from eval.metrics import percentile
from eval.questions import Question

HIT_COVERAGE = 0.6
VARIANTS = ("bm25", "dense", "hybrid")
METRICS = ("hit", "recall", "mrr", "ndcg")


def _basename(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


class _Matcher:
    """Caches ``coverage(quote, chunk)`` per (quote, chunk id)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], float] = {}

    def covers(self, quote: str, file: str, chunk: Any) -> bool:
        if _basename(chunk.file) != _basename(file):
            return False
        key = (quote, chunk.id)
        v = self._cache.get(key)
        if v is None:
            from corpus.locate import coverage

            v = self._cache[key] = coverage(quote, chunk.text)
        return v >= HIT_COVERAGE


def score_ranking(
    question: Question, chunks: Sequence[Any], k: int, matcher: _Matcher | None = None
) -> dict[str, float]:
    """hit/recall/MRR/nDCG at ``k`` of one ranking (list of chunks) for one question.

    Example::

        >>> from types import SimpleNamespace as C
        >>> q = Question("q", "?", "factual", "", (), (("a.txt", "the KGB figure"),))
        >>> ranking = [C(id="1", file="texts/a.txt", text="nothing"),
        ...            C(id="2", file="texts/a.txt", text="We have the KGB figure.")]
        >>> score_ranking(q, ranking, 5)["mrr"]
        0.5
    """
    m = matcher or _Matcher()
    gold = list(question.evidence)
    hit_quotes: set[int] = set()
    first: int | None = None
    dcg = 0.0
    for rank, chunk in enumerate(chunks[:k], start=1):
        new = 0
        for qi, (file, quote) in enumerate(gold):
            if m.covers(quote, file, chunk):
                if first is None:
                    first = rank
                if qi not in hit_quotes:
                    hit_quotes.add(qi)
                    new += 1
        if new:
            dcg += 1.0 / math.log2(rank + 1)  # binary gain per chunk that adds a gold quote
    ideal = sum(1.0 / math.log2(r + 1) for r in range(1, min(k, len(gold)) + 1))
    return {
        "hit": 1.0 if first is not None else 0.0,
        "recall": len(hit_quotes) / len(gold) if gold else 0.0,
        "mrr": 1.0 / first if first is not None else 0.0,
        "ndcg": dcg / ideal if ideal else 0.0,
    }


def _mean(rows: list[dict[str, float]]) -> dict[str, float]:
    if not rows:
        return {m: 0.0 for m in METRICS} | {"n": 0}
    return {m: sum(r[m] for r in rows) / len(rows) for m in METRICS} | {"n": len(rows)}


def evaluate_retrieval(
    questions: Sequence[Question],
    *,
    k: int = 5,
    variants: Sequence[str] = VARIANTS,
    settings: Settings | None = None,
    index: Any = None,
    embedder: Any = None,
) -> dict[str, Any]:
    """Score bm25 / dense / hybrid retrieval of ``questions`` (answerable ones) at ``k``.

    Returns ``{"k", "questions", "unlocatable", "unlocatable_quotes", "build_seconds",
    "variants": {variant: {"overall", "by_kind", "by_work", "latency_ms": {"p50", "p95"},
    "per_question"}}}``. Latency is measured warm: one retrieval runs before timing starts; its
    p50/p95 are :func:`eval.metrics.percentile` (linear interpolation).
    """
    from rag.retrieval.search import retrieve

    s = get_settings(settings)
    if embedder is None:
        from embeddings.factory import get_embedder

        embedder = get_embedder(s)
    if index is None:
        from rag.retrieval.store import get_index

        index = get_index(s, embedder)
    matcher = _Matcher()
    answerable = [q for q in questions if q.answerable]

    # Gold quotes no chunk covers, and the work each gold quote belongs to.
    unlocatable: list[str] = []
    quote_work: dict[tuple[str, str], str] = {}
    for q in answerable:
        for file, quote in q.evidence:
            owners = [c for c in index.chunks if matcher.covers(quote, file, c)]
            if owners:
                quote_work[(file, quote)] = owners[0].work_id
            else:
                unlocatable.append(f"{q.id}: {quote[:60]}")

    # Warm-up: the first query pays for model loading and caches.
    if answerable:
        retrieve(answerable[0].question, k, settings=s, index=index, embedder=embedder)

    result: dict[str, Any] = {
        "k": k,
        "questions": len(answerable),
        "unlocatable": len(unlocatable),
        "unlocatable_quotes": unlocatable,
        "build_seconds": (getattr(index, "manifest", {}) or {}).get("build_seconds"),
        "chunks": len(index.chunks),
        "variants": {},
    }
    for variant in variants:
        rows: list[dict[str, Any]] = []
        latencies: list[float] = []
        for q in answerable:
            t0 = time.perf_counter()
            hits = retrieve(q.question, k, settings=s, index=index, embedder=embedder, mode=variant)
            latencies.append((time.perf_counter() - t0) * 1000)
            scores = score_ranking(q, [h.chunk for h in hits], k, matcher)
            works = sorted({quote_work[e] for e in q.evidence if e in quote_work})
            rows.append(
                {"id": q.id, "kind": q.kind, "works": works, **scores,
                 "ranked": [h.chunk.anchor for h in hits]}
            )  # fmt: skip
        by_kind: dict[str, list[dict[str, float]]] = defaultdict(list)
        by_work: dict[str, list[dict[str, float]]] = defaultdict(list)
        for r in rows:
            by_kind[r["kind"]].append(r)
            for w in r["works"]:
                by_work[w].append(r)
        result["variants"][variant] = {
            "overall": _mean(rows),
            "by_kind": {kind: _mean(v) for kind, v in sorted(by_kind.items())},
            "by_work": {w: _mean(v) for w, v in sorted(by_work.items())},
            "latency_ms": {
                "p50": round(percentile(latencies, 50), 2),
                "p95": round(percentile(latencies, 95), 2),
            },
            "per_question": rows,
        }
    return result


def format_retrieval_report(result: dict[str, Any]) -> str:
    """A plain-text table of :func:`evaluate_retrieval`'s figures, variants side by side."""
    k = result["k"]
    variants = list(result["variants"])
    lines = [
        f"retrieval @ k={k}: {result['questions']} answerable questions, {result.get('chunks')} "
        f"chunks, unlocatable gold quotes: {result['unlocatable']}"
    ]
    for u in result.get("unlocatable_quotes", []):
        lines.append(f"  unlocatable: {u}")
    head = f"{'':<34}" + "".join(f"{v:>30}" for v in variants)
    sub = f"{'':<34}" + "".join(f"{'hit':>8}{'recall':>8}{'MRR':>7}{'nDCG':>7}" for _ in variants)

    def row(label: str, getter: Any) -> str:
        cells = []
        n = None
        for v in variants:
            m = getter(result["variants"][v])
            if m is None:
                cells.append(f"{'-':>30}")
                continue
            n = m["n"]
            cells.append(f"{m['hit']:>8.3f}{m['recall']:>8.3f}{m['mrr']:>7.3f}{m['ndcg']:>7.3f}")
        return f"{label + (f' (n={n})' if n is not None else ''):<34}" + "".join(cells)

    lines += [head, sub, row("overall", lambda r: r["overall"])]
    kinds = sorted({kind for v in variants for kind in result["variants"][v]["by_kind"]})
    lines.append("by kind")
    lines += [row(f"  {kind}", lambda r, kind=kind: r["by_kind"].get(kind)) for kind in kinds]
    works = sorted({w for v in variants for w in result["variants"][v]["by_work"]})
    lines.append("by work")
    lines += [row(f"  {w}", lambda r, w=w: r["by_work"].get(w)) for w in works]
    lat = "  ".join(
        f"{v} p50 {result['variants'][v]['latency_ms']['p50']:.1f} ms / "
        f"p95 {result['variants'][v]['latency_ms']['p95']:.1f} ms"
        for v in variants
    )
    lines.append(f"latency (warm): {lat}")
    if result.get("build_seconds") is not None:
        lines.append(f"index build time: {result['build_seconds']:.1f} s")
    misses = [
        r["id"]
        for r in result["variants"].get("hybrid", {}).get("per_question", [])
        if not r["hit"]
    ]
    if misses:
        lines.append(f"hybrid misses: {', '.join(misses)}")
    return "\n".join(lines)
