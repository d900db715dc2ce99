"""Abstention: is the retrieved evidence strong enough to answer at all?

The signal is *key-term coverage*: the share of the question's content words, weighted by how
rare they are in the corpus (IDF), that occur in the best retrieved chunks. A question about
something the essays never discuss ("the Molotov-Ribbentrop pact", "Alliluyeva") names rare or
absent terms that no retrieved chunk contains; an answerable one finds most of them. Author names
and the titles of works the question names are routing, not content, so they do not count;
nor do words that frame a question ("explain", "compare", "account"). Proper names in the
question weigh double, and a proper name the corpus never mentions at all ("Alliluyeva") makes
the strength 0: the essays cannot address what they never name.

The decision (:func:`should_abstain`) adds what the selector found: a small logistic model,
trained with the selector on the training questions (answerable and not), turns the strength,
the best sentences' probabilities, their coverage of the key terms and the share of the
question in words the corpus never uses into a probability that the essays answer; its
threshold keeps false refusals on the training questions under 3%. A question asking for a
number or a date that no top sentence states is refused whatever the model says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from rag.retrieval.search import Hit
from rag.retrieval.stats import idf, phrase_key
from rag.text.answer_types import AnswerType, answer_type, has_new_fact
from rag.text.names import proper_name_stems, proper_phrases
from rag.text.tokens import content_words

# Chunks whose text counts as "retrieved" for coverage.
COVERAGE_CHUNKS = 3
PROPER_NAME_WEIGHT = 2.0
UNKNOWN_PHRASE_FACTOR = 0.5
_FRAMING = (
    "happen happened explanation explain account contrast compare comparison differ differently "
    "difference quote quoted writer author essay mean meaning answer use used according view "
    "say said says describe describes think thinks argue argues claim claims each both own "
    "other whose idea point"
)


@dataclass(frozen=True)
class Strength:
    """How well the retrieved evidence covers the question (all in ``[0, 1]``)."""

    coverage: float
    dense: float
    score: float
    missing: tuple[str, ...] = ()
    unknown_names: tuple[str, ...] = ()
    unknown_phrases: tuple[str, ...] = ()


def _name_key(word: str) -> str:
    # Names are matched as capitalised words ("Nations", not "nation"), plural-insensitive.
    return word.removesuffix("s") if word[:1].isupper() else ""


def unknown_phrases(question: str, index) -> tuple[str, ...]:
    """The question's multi-word proper names that occur nowhere in the indexed corpus.

    Each word of "League of Nations" may occur somewhere; the name itself, never: the essays
    cannot address what they never name.
    """
    if index is None or not getattr(index, "chunks", None):
        return ()
    corpus = index.stats.phrase_text
    return tuple(p for p in proper_phrases(question) if phrase_key(p) not in corpus)


def evidence_strength(
    question: str,
    hits: Sequence[Hit],
    *,
    index=None,
    ignore_words: Iterable[str] = (),
) -> Strength:
    """IDF-weighted key-term coverage of ``question`` by the top hits (see the module docstring).

    Without an index (no corpus statistics) every term weighs the same and no name is unknown.

    Example::

        >>> from rag.retrieval.chunking import Chunk
        >>> c = Chunk("i", "w", "A", "T", None, "", "body", "a", "Kirov was murdered in 1934.",
        ...           "", "f", 0, 1)
        >>> s = evidence_strength("Who murdered Kirov?", [Hit(c, 1.0, dense_score=0.6)])
        >>> s.coverage, s.score, s.missing
        (1.0, 1.0, ())
    """
    ignore = set(ignore_words) | set(content_words(_FRAMING))
    terms = [w for w in dict.fromkeys(content_words(question)) if w not in ignore]
    top = list(hits[:COVERAGE_CHUNKS])
    dense = max((h.dense_score or 0.0 for h in top), default=0.0)
    dense = round(min(1.0, max(0.0, dense)), 4)
    if not top:
        return Strength(0.0, 0.0, 0.0)
    if not terms:
        return Strength(1.0, dense, 1.0)
    stats = getattr(index, "stats", None)
    n_docs, df = (stats.n_docs, stats.df) if stats is not None else (1, {})
    proper = proper_name_stems(question)
    present: set[str] = set()
    for h in top:
        present.update(content_words(h.chunk.text))
        present.update(content_words(h.chunk.header))
    weights = {
        t: (idf(t, n_docs, df) if df else 1.0) * (PROPER_NAME_WEIGHT if t in proper else 1.0)
        for t in terms
    }
    total = sum(weights.values()) or 1.0
    coverage = sum(w for t, w in weights.items() if t in present) / total
    missing = tuple(t for t in terms if t not in present)
    unknown = tuple(t for t in terms if df and t in proper and df.get(t, 0) == 0)
    phrases = unknown_phrases(question, index)
    # An unknown single name is decisive, and so is an unknown multi-word name none of whose
    # words the evidence contains ("League of Nations"). One the evidence partly contains may be
    # a paraphrase ("American Indians" for "the Soviets' Indians"): it only weakens the evidence.
    names_present = {_name_key(w) for h in top for w in re.findall(r"[^\W\d_]+", h.chunk.text)}
    absent = [
        p
        for p in phrases
        if not any(_name_key(w) in names_present for w in p.split() if w[0].isupper())
    ]
    weakened = coverage * (UNKNOWN_PHRASE_FACTOR if phrases else 1.0)
    score = 0.0 if unknown or absent else weakened
    return Strength(round(coverage, 4), dense, round(score, 4), missing, unknown, phrases)


def routing_words(question, works: Sequence) -> set[str]:
    """Content words that route a question rather than ask it: every author's names, and the
    titles of the works the question names (``question.works``)."""
    out: set[str] = set()
    for w in works:
        for alias in (w.author, *(getattr(w, "aliases", ()) or ())):
            out.update(content_words(alias))
        if w.work_id in question.works:
            out.update(content_words(w.title))
    return out


# Candidates searched for the asked-for kind of fact before concluding that none is given.
FACT_SEARCH_DEPTH = 5


def missing_fact(question: str, ranked: Sequence) -> bool:
    """Whether the question asks for a number or a date that none of the best candidate
    sentences states (the essays mention the topic but not the asked-for fact).

    Example::

        >>> from types import SimpleNamespace as NS
        >>> r = [NS(candidate=NS(text="The purge was vast."))]
        >>> missing_fact("How many officers were shot?", r), missing_fact("Why?", r)
        (True, False)
    """
    kind = answer_type(question)
    if kind not in (AnswerType.NUMBER, AnswerType.DATE):
        return False
    return not any(
        has_new_fact(question, r.candidate.text, kind) for r in ranked[:FACT_SEARCH_DEPTH]
    )


def should_abstain(
    question, hits, ranked, excerpts, works, settings, index, timings, model=None, threshold=0.0
) -> bool:
    """Abstain when nothing was found, the question names what the corpus never mentions
    (strength 0), the asked-for number or date is given nowhere, or the learned answerability
    (``model``, over the evidence strength and the selector's confidence) is under
    ``threshold``. ``timings`` records the signals for evaluation."""
    if not excerpts:
        return True
    ignore = routing_words(question, works)
    strength = evidence_strength(question.standalone, hits, index=index, ignore_words=ignore)
    p = answerability(question.standalone, strength.score, ranked, index, model)
    timings["evidence_strength"] = strength.score
    timings["selector_top"] = round(ranked[0].score if ranked else 0.0, 4)
    timings["answerability"] = round(p, 4)
    return (
        strength.score <= settings.abstain_threshold
        or missing_fact(question.standalone, ranked)
        or p < threshold
    )


# --- answerability: a learned decision over the evidence and the selector's confidence --------

ANSWERABILITY_FEATURES: tuple[str, ...] = (
    "strength",  # IDF-weighted key-term coverage by the top chunks (evidence_strength)
    "top",  # the selector's probability for its best sentence
    "top3_mean",  # ... mean over its best three
    "top_window_coverage",  # key-term coverage by the best sentence and its neighbours
    "unknown_mass",  # share of the question's IDF mass in words the corpus never uses
    "max_dense",  # best cosine between the question and a candidate sentence
    "typed",  # the question asks for a number, a date or a name
)


def answerability_row(question: str, strength: float, ranked: Sequence, index) -> list[float]:
    """The :data:`ANSWERABILITY_FEATURES` of one question."""
    from rag.answer.features import FEATURES

    scores = [r.score for r in ranked]
    top_row = ranked[0].features if ranked and ranked[0].features is not None else None
    dense_i = FEATURES.index("dense")
    window_i = FEATURES.index("lexical_window")
    dense = [float(r.features[dense_i]) for r in ranked if r.features is not None]
    stats = getattr(index, "stats", None)
    terms = [w for w in dict.fromkeys(content_words(question))]
    if stats is not None and terms:
        weights = {w: idf(w, stats.n_docs, stats.df) for w in terms}
        unknown = sum(v for w, v in weights.items() if stats.df.get(w, 0) == 0) / sum(
            weights.values()
        )
    else:
        unknown = 0.0
    return [
        strength,
        scores[0] if scores else 0.0,
        float(np.mean(scores[:3])) if scores else 0.0,
        float(top_row[window_i]) if top_row is not None else 0.0,
        unknown,
        max(dense, default=0.0),
        float(answer_type(question) != AnswerType.OTHER),
    ]


def answerability(question: str, strength: float, ranked: Sequence, index, model) -> float:
    """The probability that the essays answer ``question`` (1.0 without a model)."""
    if model is None:
        return 1.0
    row = np.asarray([answerability_row(question, strength, ranked, index)], dtype=np.float64)
    return float(model.probabilities(row)[0])
