"""Evidence selection: from retrieved chunks to a few numbered, labelled excerpts.

A small model reads a short, dense prompt best, so each retrieved chunk is cut into sentences
and only the sentences most relevant to the question are kept (``evidence_sentences_per_chunk``,
within ``evidence_token_budget``). Each excerpt carries the provenance a reader needs: author,
work, year, section, and — when the kept sentence lies inside a quotation whose speaker the
corpus recorded — who is being quoted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from corpus.settings import Settings, get_settings
from rag.retrieval.chunking import Chunk
from rag.retrieval.search import Hit
from rag.text.sentences import split_sentences
from rag.text.tokens import content_words

# Tokens per word of English prose for the SmolLM2/Llama-style tokenizers (measured ~1.3-1.4).
TOKENS_PER_WORD = 1.4
# Relevance = this share of embedding cosine + the rest lexical coverage of the question.
RELEVANCE_DENSE_WEIGHT = 0.6
GAP = " … "
# Sentences per chunk (best by lexical overlap) that are embedded for the relevance ranking.
PREFILTER_PER_CHUNK = 4


@dataclass(frozen=True)
class EvidenceSentence:
    """One kept sentence: ``chunk.text[start:end]``, its relevance and its quoted speaker."""

    text: str
    start: int
    end: int
    relevance: float
    speaker: str | None = None


@dataclass(frozen=True)
class Excerpt:
    """Excerpt ``[n]`` shown to the model and the reader: kept sentences of one retrieved chunk."""

    n: int
    hit: Hit
    sentences: tuple[EvidenceSentence, ...]

    @property
    def chunk(self) -> Chunk:
        return self.hit.chunk

    @property
    def author(self) -> str:
        return self.hit.chunk.author

    @property
    def relevance(self) -> float:
        return max((s.relevance for s in self.sentences), default=0.0)

    @property
    def quoted_speaker(self) -> str | None:
        """The speaker when every kept sentence is a quotation of the same recorded person."""
        speakers = {s.speaker for s in self.sentences}
        return speakers.pop() if len(speakers) == 1 else None

    @property
    def text(self) -> str:
        """Kept sentences in text order; a gap marker where sentences were skipped."""
        return join_sentences(self.sentences)

    def offsets(self) -> list[tuple[int, int]]:
        """``(start, end)`` of each kept sentence inside :attr:`text`."""
        out: list[tuple[int, int]] = []
        pos = 0
        for i, s in enumerate(self.sentences):
            if i:
                pos += len(_separator(self.sentences[i - 1], s))
            out.append((pos, pos + len(s.text)))
            pos += len(s.text)
        return out

    @property
    def label(self) -> str:
        """``Leon Trotsky, The Soviet Thermidor (1936), §Why Stalin Triumphed`` (+ quoting)."""
        return excerpt_label(self.chunk, self.quoted_speaker)


def _separator(a: EvidenceSentence, b: EvidenceSentence) -> str:
    return " " if b.start - a.end <= 2 else GAP


def join_sentences(sentences: Sequence[EvidenceSentence]) -> str:
    """Sentences joined with a space when adjacent in the source, else with " … ".

    Example::

        >>> a, b = EvidenceSentence("One.", 0, 4, 1.0), EvidenceSentence("Three.", 20, 26, 1.0)
        >>> join_sentences([a, b])
        'One. … Three.'
    """
    parts: list[str] = []
    for i, s in enumerate(sentences):
        if i:
            parts.append(_separator(sentences[i - 1], s))
        parts.append(s.text)
    return "".join(parts)


def work_citation(chunk: Chunk) -> str:
    """``Title, year`` as shown after an author's name.

    Example::

        >>> from rag.retrieval.chunking import Chunk
        >>> c = Chunk("id", "w", "Leon Trotsky", "The Soviet Thermidor", 1936, "", "body", "a",
        ...           "t", "h", "f", 0, 1)
        >>> work_citation(c)
        'The Soviet Thermidor, 1936'
    """
    return f"{chunk.title}, {chunk.year}" if chunk.year else chunk.title


def excerpt_label(chunk: Chunk, speaker: str | None = None) -> str:
    """The provenance line of an excerpt.

    Example::

        >>> from rag.retrieval.chunking import Chunk
        >>> c = Chunk("id", "w", "Alvin W. Gouldner", "Stalinism", 1978, "II", "body", "a",
        ...           "t", "h", "f", 0, 1)
        >>> excerpt_label(c, "Albert Jay Nock")
        'Alvin W. Gouldner, quoting Albert Jay Nock — Stalinism (1978), section II'
    """
    who = f"{chunk.author}, quoting {speaker}" if speaker else chunk.author
    work = f"{chunk.title} ({chunk.year})" if chunk.year else chunk.title
    section = chunk.section.strip()
    where = (
        f", section {section}" if section and section.casefold() != chunk.title.casefold() else ""
    )
    if chunk.kind == "footnote":
        where += ", footnote"
    return f"{who} — {work}{where}"


def speaker_at(chunk: Chunk, start: int, end: int) -> str | None:
    """Speaker of the recorded quotation covering most of ``chunk.text[start:end]``, if any.

    Example::

        >>> from corpus.passage import QuoteSpan
        >>> from rag.retrieval.chunking import Chunk
        >>> c = Chunk("id", "w", "A", "T", None, "", "body", "a", 'He said: "All is lost." Then.',
        ...           "h", "f", 0, 1, quotes=(QuoteSpan(9, 23, "Bukharin"),))
        >>> speaker_at(c, 9, 23), speaker_at(c, 24, 29)
        ('Bukharin', None)
    """
    length = max(1, end - start)
    for q in chunk.quotes:
        if q.speaker and min(end, q.end) - max(start, q.start) >= 0.5 * length:
            return q.speaker
    return None


def _lexical_coverage(query_words: set[str], sentence: str) -> float:
    if not query_words:
        return 0.0
    return len(query_words & set(content_words(sentence))) / len(query_words)


def estimate_tokens(text: str) -> int:
    """Rough token count of English text for a Llama-style tokenizer.

    Example::

        >>> estimate_tokens("one two three four five")
        7
    """
    return round(len(text.split()) * TOKENS_PER_WORD)


def select_evidence(
    question: str,
    hits: Sequence[Hit],
    settings: Settings | None = None,
    *,
    embedder=None,
) -> list[Excerpt]:
    """Keep the sentences of each hit most relevant to ``question``; number the excerpts 1..n.

    Relevance blends the embedder's cosine (question vs sentence) with the share of the
    question's content words the sentence contains. Hits are taken in rank order until
    ``evidence_token_budget`` is spent (each hit gets at least one sentence while budget lasts).
    Without an embedder, relevance is lexical only.
    """
    s = get_settings(settings)
    per_chunk = s.evidence_sentences_per_chunk
    qwords = set(content_words(question))
    candidates: list[tuple[Hit, list[tuple[int, int]]]] = []
    texts: list[str] = []
    lexical_list: list[float] = []
    for hit in hits:
        spans = [(a, b) for a, b in split_sentences(hit.chunk.text) if b > a]
        if not spans:
            continue
        cover = [_lexical_coverage(qwords, hit.chunk.text[a:b]) for a, b in spans]
        if len(spans) > PREFILTER_PER_CHUNK:
            # Embedding every sentence costs time before the first token; the lexical best few
            # almost always contain the dense best.
            keep = sorted(range(len(spans)), key=lambda i: (-cover[i], i))[:PREFILTER_PER_CHUNK]
            spans = [spans[i] for i in sorted(keep)]
            cover = [cover[i] for i in sorted(keep)]
        candidates.append((hit, spans))
        texts.extend(hit.chunk.text[a:b] for a, b in spans)
        lexical_list.extend(cover)
    if not candidates:
        return []
    lexical = np.array(lexical_list, dtype=np.float32)
    if embedder is not None:
        vectors = np.asarray(embedder.encode([question, *texts]), dtype=np.float32)
        dense = np.clip(vectors[1:] @ vectors[0], 0.0, 1.0)
        relevance = RELEVANCE_DENSE_WEIGHT * dense + (1 - RELEVANCE_DENSE_WEIGHT) * lexical
    else:
        relevance = lexical
    excerpts: list[Excerpt] = []
    budget = s.evidence_token_budget
    used = 0
    offset = 0
    for hit, spans in candidates:
        scores = relevance[offset : offset + len(spans)]
        offset += len(spans)
        order = sorted(range(len(spans)), key=lambda i: (-float(scores[i]), i))
        kept: list[int] = []
        for i in order[:per_chunk]:
            a, b = spans[i]
            cost = estimate_tokens(hit.chunk.text[a:b])
            if kept and used + cost > budget:
                break
            if not kept and excerpts and used + cost > budget:
                break
            kept.append(i)
            used += cost
        if not kept:
            break
        sentences = tuple(
            EvidenceSentence(
                text=hit.chunk.text[spans[i][0] : spans[i][1]],
                start=spans[i][0],
                end=spans[i][1],
                relevance=float(scores[i]),
                speaker=speaker_at(hit.chunk, *spans[i]),
            )
            for i in sorted(kept)
        )
        excerpts.append(Excerpt(n=len(excerpts) + 1, hit=hit, sentences=sentences))
        if used >= budget:
            break
    return excerpts
