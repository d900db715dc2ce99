"""Passages -> retrievable chunks (pure functions). Owned by the retrieval stage."""

from __future__ import annotations

from dataclasses import dataclass, field

from corpus.passage import PassageKind, QuoteSpan


@dataclass(frozen=True)
class Chunk:
    """A retrievable unit: one or more consecutive passages of one section of one work.

    ``text`` is what readers see; ``header`` (author, title, year, section) is prepended only for
    embedding and lexical indexing. ``quotes`` are offsets into ``text``.
    """

    id: str
    work_id: str
    author: str
    title: str
    year: int | None
    section: str
    kind: PassageKind
    anchor: str
    text: str
    header: str
    file: str
    raw_start: int
    raw_end: int
    clean_start: int = 0
    clean_end: int = 0
    passage_anchors: tuple[str, ...] = ()
    footnote_refs: tuple[int, ...] = ()
    quotes: tuple[QuoteSpan, ...] = field(default=())

    @property
    def indexed_text(self) -> str:
        """What the embedder and BM25 see."""
        return f"{self.header}\n{self.text}"
