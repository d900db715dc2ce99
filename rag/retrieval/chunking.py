"""Passages -> retrievable chunks (pure functions). Owned by the retrieval stage.

Rules: a chunk never crosses a work or a section and never splits a sentence; short body
paragraphs of one section are merged up to ``chunk_target_words``; a paragraph longer than
``chunk_max_words`` is split at sentence ends into pieces of about ``chunk_target_words`` with
``chunk_overlap_sentences`` repeated between pieces; every footnote is its own chunk. Each chunk
gets a contextual header (author — title (year) — section) used only for indexing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from corpus.passage import Passage, PassageKind, QuoteSpan
from corpus.settings import Settings, get_settings
from rag.text.sentences import split_sentences
from rag.text.voices import SentenceVoice, passage_voices

# Bump when the chunking rules change, so indexes built by the old rules count as stale.
CHUNKER_VERSION = 3
HEADER_SEP = " — "
PASSAGE_SEP = "\n\n"


@dataclass(frozen=True)
class Chunk:
    """A retrievable unit: one or more consecutive passages of one section of one work.

    ``text`` is what readers see; ``header`` (author, title, year, section) is prepended only for
    embedding and lexical indexing. ``quotes`` are offsets into ``text``.

    Offsets: ``raw_start``/``raw_end`` span the source file from the first passage's start to the
    last passage's end (a piece of a split paragraph keeps its paragraph's raw span);
    ``clean_start`` is the offset in the first passage's text where the chunk begins and
    ``clean_end`` the offset in the last passage's text where it ends (``0``/``len(text)`` for
    whole passages). ``passage_anchors`` lists every passage the chunk draws on, in order.
    ``sentences`` are the chunk's sentences (offsets into ``text``) with their voice and speaker
    (:mod:`rag.text.voices`), computed once here, at ingestion.
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
    sentences: tuple[SentenceVoice, ...] = field(default=())

    @property
    def indexed_text(self) -> str:
        """What the embedder and BM25 see."""
        return f"{self.header}\n{self.text}"


def word_count(text: str) -> int:
    """Whitespace-separated words.

    Example::

        >>> word_count("  Stalin's  revolution from above ")
        4
    """
    return len(text.split())


def make_header(passage: Passage) -> str:
    """The contextual header of a passage's chunk: author — title (year) — section.

    The section is left out when empty or equal to the title; a footnote adds its number.

    Example::

        >>> from corpus.passage import Passage
        >>> p = Passage("trotsky-thermidor", "Leon Trotsky", "The Soviet Thermidor", 1936,
        ...             "Why Stalin Triumphed", 3, "p3", "...", "body", 0, 3)
        >>> make_header(p)
        'Leon Trotsky — The Soviet Thermidor (1936) — Why Stalin Triumphed'
    """
    title = f"{passage.title} ({passage.year})" if passage.year else passage.title
    parts = [passage.author, title]
    section = passage.section.strip()
    if section and section.casefold() != passage.title.casefold():
        parts.append(section)
    if passage.kind == "footnote":
        parts.append(f"note {passage.note_no}" if passage.note_no is not None else "note")
    return HEADER_SEP.join(p for p in parts if p)


@dataclass(frozen=True)
class _Piece:
    """Part of one passage: ``text[start:end]`` of ``passage``."""

    passage: Passage
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.passage.text[self.start : self.end]

    @property
    def words(self) -> int:
        return word_count(self.text)

    @property
    def whole(self) -> bool:
        return self.start == 0 and self.end == len(self.passage.text)


def _split_passage(p: Passage, target: int, max_words: int, overlap: int) -> list[_Piece]:
    """Cut a passage at sentence ends into pieces of about ``target`` words."""
    text = p.text
    if word_count(text) <= max_words:
        return [_Piece(p, 0, len(text))]
    spans = split_sentences(text)
    if len(spans) <= 1:
        return [_Piece(p, 0, len(text))]
    counts = [word_count(text[a:b]) for a, b in spans]
    total = sum(counts)
    # Even out piece sizes so the last piece is not a stub.
    n_pieces = max(2, round(total / target))
    goal = total / n_pieces
    pieces: list[_Piece] = []
    i = 0
    prev_end = 0  # sentences before this index were in the previous piece (the overlap)
    while i < len(spans):
        j = i
        words = 0
        # Always take at least one sentence that is new, so a piece is never just the overlap.
        while j < len(spans) and (
            j <= prev_end or words + counts[j] <= max(goal, words + counts[j] if j == i else 0)
        ):
            words += counts[j]
            j += 1
            if words >= goal and j > prev_end:
                break
        # Fold a short remainder into this piece rather than leaving a stub.
        rest = sum(counts[j:])
        if 0 < rest < goal / 3 and words + rest <= max_words:
            j = len(spans)
        start = 0 if i == 0 else spans[i][0]
        end = len(text) if j == len(spans) else spans[j - 1][1]
        pieces.append(_Piece(p, start, end))
        if j >= len(spans):
            break
        # Start the next piece `overlap` sentences back, but always move forward.
        prev_end = j
        i = max(j - overlap, i + 1)
    return pieces


def _settings_key(s: Settings) -> str:
    return f"t{s.chunk_target_words}-m{s.chunk_max_words}-o{s.chunk_overlap_sentences}"


def _chunk_id(work_id: str, pieces: Sequence[_Piece], key: str) -> str:
    desc = "|".join(f"{pc.passage.anchor}:{pc.start}:{pc.end}" for pc in pieces)
    digest = hashlib.sha1(f"{work_id}|{desc}|{key}".encode()).hexdigest()[:12]
    return f"{work_id}-{digest}"


def _passage_sentences(p: Passage) -> list[SentenceVoice]:
    return passage_voices(p.text, split_sentences(p.text), kind=p.kind, quotes=p.quotes)


def _make_chunk(pieces: Sequence[_Piece], key: str) -> Chunk:
    first, last = pieces[0], pieces[-1]
    fp = first.passage
    texts: list[str] = []
    quotes: list[QuoteSpan] = []
    offset = 0
    refs: list[int] = []
    anchors: list[str] = []
    sentences: list[SentenceVoice] = []
    for pc in pieces:
        if texts:
            offset += len(PASSAGE_SEP)
        piece_text = pc.text
        # Voices are read over the whole paragraph (a frame may open before this piece).
        for v in _passage_sentences(pc.passage):
            if pc.start <= v.start and v.end <= pc.end:
                shift = offset - pc.start
                sentences.append(
                    SentenceVoice(v.start + shift, v.end + shift, v.voice, v.speaker, v.attribution)
                )
        for q in pc.passage.quotes:
            if pc.start <= q.start and q.end <= pc.end:
                quotes.append(
                    QuoteSpan(q.start - pc.start + offset, q.end - pc.start + offset, q.speaker)
                )
        texts.append(piece_text)
        offset += len(piece_text)
        for r in pc.passage.footnote_refs:
            if r not in refs:
                refs.append(r)
        if pc.passage.anchor not in anchors:
            anchors.append(pc.passage.anchor)
    return Chunk(
        id=_chunk_id(fp.work_id, pieces, key),
        work_id=fp.work_id,
        author=fp.author,
        title=fp.title,
        year=fp.year,
        section=fp.section,
        kind=fp.kind,
        anchor=fp.anchor,
        text=PASSAGE_SEP.join(texts),
        header=make_header(fp),
        file=fp.file,
        raw_start=fp.raw_start,
        raw_end=last.passage.raw_end,
        clean_start=first.start,
        clean_end=last.end,
        passage_anchors=tuple(anchors),
        footnote_refs=tuple(refs),
        quotes=tuple(quotes),
        sentences=tuple(sentences),
    )


def _body_runs(passages: Iterable[Passage]) -> tuple[list[list[Passage]], list[Passage]]:
    """Consecutive body passages of one (work, section), and the footnotes, in order.

    A footnote printed between two body paragraphs does not break their run: it is a layout
    artefact, not a change of topic.
    """
    runs: list[list[Passage]] = []
    notes: list[Passage] = []
    key: tuple[str, str] | None = None
    for p in passages:
        if not p.text.strip():
            continue
        if p.kind == "footnote":
            notes.append(p)
            continue
        k = (p.work_id, p.section)
        if k != key or not runs:
            runs.append([])
            key = k
        runs[-1].append(p)
    return runs, notes


def chunk_passages(passages: Sequence[Passage], settings: Settings | None = None) -> list[Chunk]:
    """Group passages (in document order) into chunks; see the module docstring for the rules.

    Body chunks come first in document order, then footnote chunks in document order.

    Example::

        >>> from corpus.passage import Passage
        >>> ps = [Passage("w", "A. Author", "Essay", 1970, "I", i, f"p{i}", f"Point {i}. More.",
        ...               "body", 10 * i, 10 * i + 9) for i in range(3)]
        >>> [c.text for c in chunk_passages(ps)]
        ['Point 0. More.\\n\\nPoint 1. More.\\n\\nPoint 2. More.']
    """
    s = get_settings(settings)
    target = s.chunk_target_words
    max_words = max(s.chunk_max_words, target)
    overlap = s.chunk_overlap_sentences
    key = _settings_key(s)
    runs, notes = _body_runs(passages)
    chunks: list[Chunk] = []
    for run in runs:
        buffer: list[_Piece] = []
        words = 0
        for p in run:
            pieces = _split_passage(p, target, max_words, overlap)
            if len(pieces) > 1:
                # Pieces of a long paragraph stand alone; flush what came before.
                if buffer:
                    chunks.append(_make_chunk(buffer, key))
                    buffer, words = [], 0
                chunks.extend(_make_chunk([pc], key) for pc in pieces)
                continue
            pc = pieces[0]
            if buffer and (words >= target or words + pc.words > max_words):
                chunks.append(_make_chunk(buffer, key))
                buffer, words = [], 0
            buffer.append(pc)
            words += pc.words
        if buffer:
            chunks.append(_make_chunk(buffer, key))
    for p in notes:
        chunks.extend(
            _make_chunk([pc], key) for pc in _split_passage(p, target, max_words, overlap)
        )
    return chunks
