"""Selection: which sentences of the retrieved chunks answer the question, and the excerpts
built from them.

Every sentence of the top chunks is a candidate (:mod:`rag.answer.candidates`); the learned
ranker (:mod:`rag.answer.ranker`) scores each from interpretable features
(:mod:`rag.answer.features`) into a probability that it answers. The best sentences, within
``evidence_token_budget`` and with each asked-about author's best one guaranteed, become the
numbered :class:`Excerpt` s that the answer cites and a model (in ``grounded`` mode) reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from corpus.settings import Settings, get_settings
from rag.answer.candidates import Candidate, candidates, sentences_of
from rag.answer.features import FEATURES, featurize
from rag.answer.ranker import LinearRanker, load_ranker
from rag.retrieval.chunking import Chunk
from rag.retrieval.search import Hit
from rag.text.voices import Voice

# Tokens per word of English prose for the SmolLM2/Llama-style tokenizers (measured ~1.3-1.4).
TOKENS_PER_WORD = 1.4
GAP = " … "


@dataclass(frozen=True)
class EvidenceSentence:
    """One kept sentence: ``chunk.text[start:end]``, the ranker's probability that it answers,
    and its voice (with the person whose words or view it gives, when not the author's)."""

    text: str
    start: int
    end: int
    relevance: float
    speaker: str | None = None
    voice: Voice = Voice.OWN


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
        """The speaker when every kept sentence quotes the same recorded person."""
        speakers = {
            s.speaker if s.voice in (Voice.QUOTING, Voice.EPIGRAPH) else None
            for s in self.sentences
        }
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


def estimate_tokens(text: str) -> int:
    """Rough token count of English text for a Llama-style tokenizer.

    Example::

        >>> estimate_tokens("one two three four five")
        7
    """
    return round(len(text.split()) * TOKENS_PER_WORD)


# --- ranking --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    """A candidate sentence with the ranker's probability that it answers the question."""

    candidate: Candidate
    score: float
    features: np.ndarray | None = None  # its row of rag.answer.features.FEATURES


def _unit(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=-1, keepdims=True)
    return m / np.where(norms > 0, norms, 1.0)


def _chunk_vectors(chunk: Chunk, embedder, index) -> np.ndarray:
    stored = index.sentence_vectors(chunk) if hasattr(index, "sentence_vectors") else None
    if stored is not None and chunk.sentences and len(stored) == len(chunk.sentences):
        return stored
    texts = [chunk.text[v.start : v.end] for v in sentences_of(chunk)]
    return np.asarray(embedder.encode(texts), dtype=np.float32)


def sentence_vectors(cands: Sequence[Candidate], *, embedder, index=None):
    """Each candidate's sentence vector and window vector (the normalised sum of the previous,
    own and next sentence vectors). The index's stored vectors are used when it has them;
    otherwise the chunk's sentences are embedded now."""
    cache: dict[str, np.ndarray] = {}
    rows, windows = [], []
    for c in cands:
        chunk = c.hit.chunk
        if chunk.id not in cache:
            cache[chunk.id] = _chunk_vectors(chunk, embedder, index)
        m = cache[chunk.id]
        rows.append(m[c.k])
        windows.append(m[max(0, c.k - 1) : c.k + 2].sum(axis=0))
    return np.asarray(rows, dtype=np.float32), _unit(np.asarray(windows, dtype=np.float32))


def candidate_features(
    question: str,
    cands: Sequence[Candidate],
    *,
    embedder,
    index=None,
    asked_authors: Sequence[str] = (),
) -> np.ndarray:
    """The feature matrix of ``cands`` (see :mod:`rag.answer.features`)."""
    if not cands:
        return np.zeros((0, len(FEATURES)), dtype=np.float32)
    qvec = np.asarray(embedder.encode([question]), dtype=np.float32)[0]
    vectors, windows = sentence_vectors(cands, embedder=embedder, index=index)
    stats = getattr(index, "stats", None)
    return featurize(
        question,
        cands,
        vectors=vectors,
        question_vector=qvec,
        window_vectors=windows,
        asked_authors=asked_authors,
        df=stats.df if stats is not None else None,
        n_docs=stats.n_docs if stats is not None else 1,
    )


def rank_candidates(
    question: str,
    hits: Sequence[Hit],
    *,
    embedder,
    ranker: LinearRanker | None = None,
    index=None,
    asked_authors: Sequence[str] = (),
) -> list[Ranked]:
    """Every sentence of ``hits``, best answer first, with its probability."""
    ranker = ranker or load_ranker()
    cands = candidates(hits)
    x = candidate_features(
        question, cands, embedder=embedder, index=index, asked_authors=asked_authors
    )
    probs = ranker.probabilities(x)
    order = sorted(range(len(cands)), key=lambda i: (-float(probs[i]), cands[i].rank, cands[i].k))
    return [Ranked(cands[i], float(probs[i]), x[i]) for i in order]


def retrieve_candidates(question, settings: Settings, *, index, embedder, authors=None, works=None):
    """The chunks whose sentences are candidates: ``candidate_chunks`` of them (at least
    ``retrieval_k``), as many again for each further author a comparison names."""
    from rag.retrieval.search import retrieve

    per_author = len(question.authors) if question.is_comparison and question.authors else 1
    return retrieve(
        question.standalone,
        max(settings.candidate_chunks, settings.retrieval_k) * per_author,
        authors=list(authors) if authors else None,
        works=list(works) if works else None,
        settings=settings,
        index=index,
        embedder=embedder,
    )


# --- excerpts -------------------------------------------------------------------------------


def _chosen(ranked: Sequence[Ranked], budget: int, per_chunk: int, must: Sequence[str]):
    """The sentences kept: each required author's best first, then the best overall, within
    the token budget and at most ``per_chunk`` per chunk."""
    chosen: list[Ranked] = []
    used = 0
    count: dict[str, int] = {}
    firsts = [next((r for r in ranked if r.candidate.author == a), None) for a in must]
    for r in [*(f for f in firsts if f is not None), *ranked]:
        cid = r.candidate.hit.chunk.id
        cost = estimate_tokens(r.candidate.text)
        if r in chosen or count.get(cid, 0) >= per_chunk:
            continue
        if chosen and used + cost > budget:
            continue
        chosen.append(r)
        used += cost
        count[cid] = count.get(cid, 0) + 1
    return chosen


def excerpts_from(chosen: Sequence[Ranked]) -> list[Excerpt]:
    """Numbered excerpts holding exactly ``chosen``: one per chunk, chunks in the order of their
    first chosen sentence, each chunk's sentences in text order."""
    by_chunk: dict[str, list[Ranked]] = {}
    for r in chosen:
        by_chunk.setdefault(r.candidate.hit.chunk.id, []).append(r)
    excerpts = []
    for group in by_chunk.values():
        group.sort(key=lambda r: r.candidate.start)
        sentences = tuple(
            EvidenceSentence(
                r.candidate.text,
                r.candidate.start,
                r.candidate.end,
                r.score,
                r.candidate.speaker,
                r.candidate.voice,
            )
            for r in group
        )
        excerpts.append(Excerpt(len(excerpts) + 1, group[0].candidate.hit, sentences))
    return excerpts


def build_excerpts(
    ranked: Sequence[Ranked], settings: Settings | None = None, must_authors: Sequence[str] = ()
) -> list[Excerpt]:
    """Numbered excerpts from the best sentences, within ``evidence_token_budget`` and at most
    ``evidence_sentences_per_chunk`` per chunk, each required author's best one first."""
    s = get_settings(settings)
    return excerpts_from(
        _chosen(ranked, s.evidence_token_budget, s.evidence_sentences_per_chunk, must_authors)
    )


def select_evidence(
    question: str,
    hits: Sequence[Hit],
    settings: Settings | None = None,
    *,
    embedder=None,
    index=None,
    asked_authors: Sequence[str] = (),
) -> list[Excerpt]:
    """Rank the sentences of ``hits`` and keep the best as numbered excerpts (both steps)."""
    if embedder is None:
        from embeddings.factory import get_embedder

        embedder = get_embedder(get_settings(settings))
    ranked = rank_candidates(
        question, hits, embedder=embedder, index=index, asked_authors=asked_authors
    )
    return build_excerpts(ranked, settings, asked_authors)
