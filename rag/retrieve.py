"""Hybrid, author-aware search over the index. Owned by the retrieval stage."""

from __future__ import annotations

from dataclasses import dataclass

from rag.chunking import Chunk


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk with the scores that ranked it (ranks are 1-based, None = not found)."""

    chunk: Chunk
    score: float
    dense_score: float | None = None
    lexical_score: float | None = None
    dense_rank: int | None = None
    lexical_rank: int | None = None
