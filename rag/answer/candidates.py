"""Candidate answer sentences: every sentence of the retrieved chunks, with its neighbours.

The selector ranks these; a sentence is judged with its context (the sentences before and after
it in its chunk), because the answer often sits in the sentence after one that merely echoes the
question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rag.retrieval.search import Hit
from rag.text.sentences import split_sentences
from rag.text.voices import SentenceVoice, Voice, passage_voices


@dataclass(frozen=True)
class Candidate:
    """Sentence ``k`` of retrieved chunk ``rank`` (0-based): ``hit.chunk.text[start:end]``."""

    hit: Hit
    rank: int
    k: int
    start: int
    end: int
    voice: Voice = Voice.OWN
    speaker: str | None = None
    previous: str = ""
    next: str = ""

    @property
    def text(self) -> str:
        return self.hit.chunk.text[self.start : self.end]

    @property
    def author(self) -> str:
        return self.hit.chunk.author

    @property
    def window(self) -> str:
        return " ".join(t for t in (self.previous, self.text, self.next) if t)


def sentences_of(chunk) -> tuple[SentenceVoice, ...]:
    """A chunk's sentences with their voices: stored at ingestion, or read now for a chunk
    made without them (hand-built in a test, or read from an older index)."""
    if chunk.sentences:
        return chunk.sentences
    spans = split_sentences(chunk.text)
    return tuple(passage_voices(chunk.text, spans, kind=chunk.kind, quotes=chunk.quotes))


def candidates(hits: Sequence[Hit], *, min_chars: int = 12) -> list[Candidate]:
    """Every sentence of every hit, in rank then text order; an epigraph's attribution line and
    fragments shorter than ``min_chars`` are not candidates (they are not sentences of the essay).

    Example::

        >>> from rag.retrieval.chunking import Chunk
        >>> from rag.text.voices import SentenceVoice as S
        >>> text = "Stalin won the fight. Trotsky lost it in 1927. Why?"
        >>> c = Chunk("i", "w", "A", "T", None, "", "body", "a", text, "", "f", 0, 1,
        ...           sentences=(S(0, 21), S(22, 46), S(47, 51)))
        >>> [(x.text, x.previous, x.next) for x in candidates([Hit(c, 1.0)])]
        [('Stalin won the fight.', '', 'Trotsky lost it in 1927.'), ('Trotsky lost it in 1927.', 'Stalin won the fight.', 'Why?')]
    """
    out: list[Candidate] = []
    for rank, hit in enumerate(hits):
        text = hit.chunk.text
        spans = hit.chunk.sentences or sentences_of(hit.chunk)
        for k, v in enumerate(spans):
            if v.attribution or v.end - v.start < min_chars:
                continue
            prev = text[spans[k - 1].start : spans[k - 1].end] if k else ""
            nxt = text[spans[k + 1].start : spans[k + 1].end] if k + 1 < len(spans) else ""
            out.append(Candidate(hit, rank, k, v.start, v.end, v.voice, v.speaker, prev, nxt))
    return out
