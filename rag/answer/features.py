"""Features of a candidate sentence for the answer-sentence ranker (interpretable, one column each).

Each column says one thing a reader would check: does the sentence say what was asked
(embedding and word overlap, alone and with its neighbours), does it come from a passage the
search trusted, does it hold the kind of fact asked for (a number, a date, a name) that the
question lacks, is it new information or an echo of the question, is it by the author asked
about, and in whose voice does it speak.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from rag.answer.candidates import Candidate
from rag.retrieval.stats import idf
from rag.text.answer_types import AnswerType, answer_type, has_new_fact
from rag.text.tokens import content_words
from rag.text.voices import Voice

FEATURES: tuple[str, ...] = (
    "dense",  # cosine(question, sentence)
    "dense_window",  # cosine(question, previous + sentence + next)
    "dense_gap",  # dense minus the best dense among the candidates
    "lexical",  # IDF-weighted share of the question's content words in the sentence
    "lexical_window",  # the same over the window
    "lexical_prev",  # ... in the previous sentence alone (an echo before the answer)
    "lexical_next",  # ... in the next sentence alone
    "novelty",  # share of the sentence's content words the question does not use
    "log_words",  # log(1 + words in the sentence)
    "chunk_score",  # the chunk's fused retrieval score / the best one
    "chunk_recip_rank",  # 1 / (1 + chunk rank)
    "first_in_chunk",  # the sentence opens its chunk
    "wants_number",  # the question asks for a number ...
    "number_fact",  # ... and the sentence states one the question lacks
    "wants_date",
    "date_fact",
    "wants_name",
    "name_fact",
    "author_asked",  # the question names this sentence's author
    "other_author",  # the question names authors, not this one
    "footnote",
    "voice_quoting",
    "voice_reporting",
    "voice_rejecting",
    "voice_epigraph",
    "asks_other_voice",  # the question asks what someone quoted/reported said ...
    "other_voice_match",  # ... and the sentence quotes or reports someone
)


def idf_weights(words: Sequence[str], df: dict[str, int], n_docs: int) -> dict[str, float]:
    """IDF of each word over the corpus statistics (a word absent from the corpus gets the most).

    Example::

        >>> w = idf_weights(["purg", "x"], {"purg": 50}, 100)
        >>> round(w["purg"], 3), round(w["x"], 3)
        (0.693, 5.308)
    """
    return {w: idf(w, n_docs, df) for w in words}


def coverage(weights: dict[str, float], text: str) -> float:
    """IDF-weighted share of the weighted words found in ``text``'s content words.

    Example::

        >>> coverage({"purg": 1.0, "kirov": 3.0}, "Kirov was shot."), coverage({}, "x")
        (0.75, 0.0)
    """
    total = sum(weights.values())
    if not total:
        return 0.0
    found = set(content_words(text))
    return sum(v for w, v in weights.items() if w in found) / total


_ASKS_OTHER = (
    "quote", "quoted", "quotes", "quoting", "who said", "who remarked", "who wrote", "whose words",
    "saying", "according to whom", "report", "reports", "testimony", "cite", "cites", "epigraph",
)  # fmt: skip


def asks_other_voice(question: str) -> bool:
    """Whether the question asks about someone's words or views as an essay reports them.

    Example::

        >>> asks_other_voice("Whose words does Ticktin quote?"), asks_other_voice("Why did it happen?")
        (True, False)
    """
    q = " " + question.lower() + " "
    return any(f" {cue}" in q for cue in _ASKS_OTHER)


def featurize(
    question: str,
    cands: Sequence[Candidate],
    *,
    vectors: np.ndarray,
    question_vector: np.ndarray,
    window_vectors: np.ndarray,
    asked_authors: Sequence[str] = (),
    df: dict[str, int] | None = None,
    n_docs: int = 1,
) -> np.ndarray:
    """The feature matrix (one row per candidate, columns as :data:`FEATURES`).

    ``vectors``/``window_vectors`` are the candidates' sentence and window embeddings; ``df`` the
    corpus document frequencies of content words (uniform weights without them).
    """
    qwords = list(dict.fromkeys(content_words(question)))
    weights = idf_weights(qwords, df or {}, n_docs) if df else {w: 1.0 for w in qwords}
    qset = set(qwords)
    kind = answer_type(question)
    other = asks_other_voice(question)
    dense = vectors @ question_vector if len(cands) else np.zeros(0)
    dense_w = window_vectors @ question_vector if len(cands) else np.zeros(0)
    best_dense = float(dense.max()) if len(cands) else 0.0
    best_chunk = max((c.hit.score for c in cands), default=1.0) or 1.0
    rows = []
    for i, c in enumerate(cands):
        words = content_words(c.text)
        novelty = sum(1 for w in words if w not in qset) / len(words) if words else 0.0
        rows.append(
            [
                float(dense[i]),
                float(dense_w[i]),
                float(dense[i]) - best_dense,
                coverage(weights, c.text),
                coverage(weights, c.window),
                coverage(weights, c.previous),
                coverage(weights, c.next),
                novelty,
                math.log1p(len(c.text.split())),
                c.hit.score / best_chunk if best_chunk > 0 else 0.0,
                1.0 / (1 + c.rank),
                float(c.k == 0),
                float(kind == AnswerType.NUMBER),
                float(kind == AnswerType.NUMBER and has_new_fact(question, c.text, kind)),
                float(kind == AnswerType.DATE),
                float(kind == AnswerType.DATE and has_new_fact(question, c.text, kind)),
                float(kind == AnswerType.NAME),
                float(kind == AnswerType.NAME and has_new_fact(question, c.text, kind)),
                float(c.author in asked_authors),
                float(bool(asked_authors) and c.author not in asked_authors),
                float(c.hit.chunk.kind == "footnote"),
                float(c.voice == Voice.QUOTING),
                float(c.voice == Voice.REPORTING),
                float(c.voice == Voice.REJECTING),
                float(c.voice == Voice.EPIGRAPH),
                float(other),
                float(other and c.voice in (Voice.QUOTING, Voice.REPORTING, Voice.EPIGRAPH)),
            ]
        )
    return np.asarray(rows, dtype=np.float32).reshape(len(cands), len(FEATURES))
